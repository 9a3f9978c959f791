"""No token, client secret, API key or password in logs, exception texts or stats."""

from __future__ import annotations

import logging

import pytest
from airflow.sdk.log import redact

from ukg_visma.cli import main
from ukg_visma.hooks import ApiError, UkgHook, VismaHook

pytestmark = pytest.mark.e2e


def test_secrets_absent_from_logs_errors_and_output(box, set_conn, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    creds = box.credentials
    wrong = {"ukg": "WRONG-ukg-secret-4711", "visma": "WRONG-visma-secret-4711"}
    texts: list[str] = []

    ukg, visma = UkgHook(), VismaHook()
    basic_ok = set_conn(
        "ukg",
        "ukg_basic",
        login=creds["ukg"]["basic_user"],
        password=creds["ukg"]["basic_password"],
        extra={"auth_mode": "basic"},
    )
    UkgHook(ukg_conn_id=basic_ok).get_json("/configuration/v1/org-levels")
    ukg.get_json("/configuration/v1/org-levels")
    visma.get_json("/v1/account")
    box.faults("ukg", {"path": "^/configuration", "status": 401, "times": 1})
    box.faults("visma", {"path": "^/v1/account$", "status": 429, "retry_after": 0, "times": 1})
    ukg.get_json("/configuration/v1/org-levels")  # renews the token
    visma.get_json("/v1/account")  # retried after a 429
    box.faults("visma", {"path": "^/v1/account$", "status": 401, "times": None})
    ukg_bad = UkgHook(ukg_conn_id=set_conn("ukg", "ukg_bad", password=wrong["ukg"]))
    visma_bad = VismaHook(visma_conn_id=set_conn("visma", "visma_bad", password=wrong["visma"]))
    basic_bad = UkgHook(
        ukg_conn_id=set_conn(
            "ukg", "ukg_basic_bad", login="svc_payroll", password=wrong["ukg"],
            extra={"auth_mode": "basic"},
        )
    )  # fmt: skip
    for hook, path in [
        (visma, "/v1/account"),
        (ukg_bad, "/configuration/v1/org-levels"),
        (visma_bad, "/v1/account"),
        (basic_bad, "/configuration/v1/org-levels"),
    ]:
        with pytest.raises(ApiError) as err:
            hook.get_json(path)
        texts += [str(err.value), repr(err.value.__dict__)]
    box.clear_faults()
    assert main(["ping", "--conn", "ukg_default", "--conn", "visma_bad"]) == 1

    tokens = {s for s in ukg._secrets | visma._secrets if len(s) > 30}
    assert len(tokens) >= 3  # the tokens this test saw (first, renewed, Visma's)
    out, err = capsys.readouterr()
    everything = "\n".join([caplog.text, out, err, *texts, repr(ukg.stats), repr(visma.stats)])
    assert "renewing the token once" in everything  # the hooks' own log lines were captured
    secrets = {
        creds["ukg"]["client_secret"],
        creds["ukg"]["basic_password"],
        creds["ukg"]["customer_api_key"],
        creds["visma"]["client_secret"],
        *wrong.values(),
        *tokens,
    }
    leaked = sorted(s for s in secrets if s in everything)
    assert leaked == []
    # And each one is registered with Airflow's secrets masker, which task logging applies to
    # every line (so even a third-party library's log line would show *** instead).
    assert [redact(f"<{s}>") for s in sorted(secrets)] == ["<***>"] * len(secrets)
