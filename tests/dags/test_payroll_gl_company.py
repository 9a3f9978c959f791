"""``company.ukg_company_code`` is honoured: a second UKG company's pay run in the same pay period
is neither read nor posted — judged from the sandboxes' own state and call logs."""

from __future__ import annotations

import pytest
from ledger_truth import (
    OFF_CYCLE,
    PERIOD,
    REGULAR,
    assert_one_live_batch_per_key,
    key_of,
    ours,
    per_account,
    ukg_latest_per_account,
    visma_net,
)
from payroll_helpers import run_period, task_states

pytestmark = pytest.mark.e2e

OTHER_RUN = "OTH-202610-R1"


def _add_other_company_run(sandbox) -> None:
    """A copy of the regular run under another UKG company (same pay group, same pay date)."""
    from ukg_visma.hooks.ukg import UkgHook

    info = sandbox.ukg_admin("GET", f"/_sandbox/gl-runs/{REGULAR}/versions?lines=true")
    (latest,) = [v for v in info["versions"] if v["current"]]
    first = UkgHook().gl_header(REGULAR)
    assert first is not None
    sandbox.ukg_admin(
        "POST",
        "/_sandbox/gl-runs",
        {
            "runId": OTHER_RUN,
            "companyCode": "OTH",
            "coId": "C0002",
            "payGroup": first["payGroup"],
            "periodStartDate": first["periodStartDate"],
            "periodEndDate": first["periodEndDate"],
            "payDate": "2026-10-23",  # the regular run's (paygroup-payperiods)
            "lines": latest["glLines"],
            "emit": False,
        },
    )


def test_another_companys_run_is_not_posted(payroll):
    _add_other_company_run(payroll)
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    keys = [key_of(b) for b in ours(payroll)]
    assert keys and all(k.split(":")[1] == "NMF" for k in keys), keys
    assert not any(OTHER_RUN in k for k in keys)
    assert per_account(visma_net(payroll)) == ukg_latest_per_account(payroll, [REGULAR, OFF_CYCLE])
    assert_one_live_batch_per_key(payroll)
    gl_reads = [c for c in payroll.calls("ukg") if c["path"].startswith("/payroll/v2/general")]
    other = [c for c in gl_reads if OTHER_RUN in (c.get("query") or "")]
    # UKG publishes no run listing: the run's header line (block 1, one line) is read to learn
    # its company; none of its blocks is read
    assert gl_reads and other and all("per_Page=1&" in c["query"] + "&" for c in other), other


def test_extract_keeps_only_the_companys_runs_and_lines(payroll, tmp_path):
    """Held to the company twice: runs handed over by XCom, and lines as the export sends them
    (run ids are unique only within a company, so an export by run id may carry another's)."""
    from ukg_visma.audit.store import get_engine
    from ukg_visma.hooks.ukg import UkgHook
    from ukg_visma.periods import PayPeriod
    from ukg_visma.settings import load_settings
    from ukg_visma.tasks.payroll.extract import extract
    from ukg_visma.tasks.payroll.pay_runs import completed_pay_runs
    from ukg_visma.tasks.payroll.run import PayrollRun

    _add_other_company_run(payroll)
    settings = load_settings()
    ukg, period = UkgHook(), PayPeriod.parse(PERIOD)
    every = f"{REGULAR},{OFF_CYCLE},{OTHER_RUN}"
    runs = completed_pay_runs(ukg, period, ["NO-M"], every, company_code="NMF")
    assert {r["runId"] for r in runs} == {REGULAR, OFF_CYCLE}
    assert completed_pay_runs(ukg, period, ["NO-M"], OTHER_RUN, company_code="NMF") == []
    oth = completed_pay_runs(ukg, period, ["NO-M"], every, company_code="OTH")
    assert {r["runId"] for r in oth} == {OTHER_RUN}

    engine = get_engine(f"sqlite:///{tmp_path}/extract.db")
    ctx = PayrollRun(run_key="company-test", period=period)
    (other,) = completed_pay_runs(ukg, period, ["NO-M"], OTHER_RUN, company_code="OTH")
    # a run of the other company handed over as if it were ours: dropped before reading
    assert extract(ukg, engine, ctx, [other], settings)["line_count"] == 0
    # listed as ours, but the export's lines say OTH: none of them is taken
    disguised = {**other, "companyCode": "NMF", "coId": "C0001"}
    result = extract(ukg, engine, ctx, [disguised], settings)
    assert result["line_count"] == 0 and result["lines"] is None
