"""``test_connection()`` and ``ukg-visma ping`` against the sandbox: readable success, failure."""

from __future__ import annotations

import socket

import pytest

from ukg_visma.cli import main
from ukg_visma.hooks import UkgHook, VismaHook

pytestmark = pytest.mark.e2e


def _lines(capsys) -> dict[str, str]:
    out = capsys.readouterr().out
    return {line.split()[1].rstrip(":"): line for line in out.splitlines() if line.strip()}


def test_ping_both_ok(box, capsys):
    assert main(["ping"]) == 0
    lines = _lines(capsys)
    ukg, visma = lines["ukg_default"], lines["visma_default"]
    assert ukg.startswith("OK ") and visma.startswith("OK ")
    assert "tenant nordicmfg (oauth)" in ukg and "tenant nordicmfg-erp" in visma
    for line in (ukg, visma):
        assert "token valid 3600 s of 3600 s" in line
        assert " ms" in line and "→ 200" in line
    assert "GET /configuration/v1/org-levels" in ukg
    assert "rate limit: 5999/6000 calls left" in visma  # Visma reports its quota


def test_test_connection_is_the_ui_button(box):
    ok, message = VismaHook().test_connection()
    assert ok and message.startswith("Visma.net OK")
    assert sorted(c["method"] for c in box.calls("visma")) == ["GET", "POST"]  # token + one read


def test_ping_wrong_secret_prints_cause_and_fails(box, set_conn, capsys):
    set_conn("visma", "visma_default", password="definitely-wrong")
    assert main(["ping"]) == 1
    out = capsys.readouterr().out
    assert "OK   ukg_default" in out
    fail = next(line for line in out.splitlines() if line.startswith("FAIL visma_default"))
    assert "token request" in fail and "invalid_client" in fail
    assert "client id or secret is wrong" in fail
    assert "definitely-wrong" not in out


def test_ping_missing_scope(box, set_conn, capsys):
    set_conn("visma", "visma_default", extra={"scopes": "vismanet_erp_service_api:create"})
    assert main(["ping", "--conn", "visma_default"]) == 1
    line = capsys.readouterr().out
    assert "FAIL visma_default" in line and "403" in line and "scope" in line


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    ("host", "cause"),
    [
        (None, "connection refused"),
        ("http://ukg-sandbox.invalid", "DNS lookup of the host failed"),
    ],
    ids=["refused", "dns"],
)
def test_ping_unreachable_names_the_cause(box, set_conn, capsys, host, cause):
    url = host or f"http://127.0.0.1:{_closed_port()}"
    set_conn("ukg", "ukg_default", host=url, extra={"token_url": f"{url}/token"})
    assert main(["ping", "--conn", "ukg_default"]) == 1
    line = capsys.readouterr().out
    assert line.startswith("FAIL ukg_default") and cause in line


def test_ping_unknown_connection(box, capsys):
    assert main(["ping", "--conn", "nosuch_conn"]) == 1
    assert "'nosuch_conn' is not defined" in capsys.readouterr().out


def test_ukg_test_connection_reports_basic_mode(box, set_conn):
    creds = box.credentials["ukg"]
    conn_id = set_conn("ukg", "ukg_basic", login=creds["basic_user"],
                       password=creds["basic_password"], extra={"auth_mode": "basic"})  # fmt: skip
    ok, message = UkgHook(ukg_conn_id=conn_id).test_connection()
    assert ok and "(basic)" in message and "Basic service account" in message
