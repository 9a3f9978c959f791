"""A group of two companies (issue #25), end to end against the sandbox over HTTP: UKG company
NMF posts into Visma company ``nordicmfg-erp``, UKG company NMR (the plant Mo i Rana, scenario
option ``group``) into Visma company ``nordicmfg-mo-i-rana`` — two tenants of one Visma host
whose charts share most account numbers (NMR has 5092 where NMF has 5090).

Each company is run by its own DAG (``ukg_visma_payroll_gl__nmf`` / ``__nmr``, ``dag.test``).
Every verdict is judged from each Visma tenant's own state: what is there, whose keys, which
accounts, and whether the money equals that company's UKG runs — never from our own records.
"""

from __future__ import annotations

import collections
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from approvals import note_of
from ledger_truth import key_of, ours, per_account, ukg_latest_per_account, visma_net
from payroll_helpers import load_company_dag, run_company_period, task_states
from sandbox_fixture import QUICK_RETRIES, configure, override_settings

pytestmark = pytest.mark.e2e

PERIOD, PID = "2026-09", "202609"
B_TENANT = "nordicmfg-mo-i-rana"
RUNS = {"nmf": "NMF-202609-R1", "nmr": "NMR-202609-R1"}


class Tenant:
    """One Visma company of the sandbox, as ``ledger_truth`` reads a sandbox (``visma_state``)."""

    def __init__(self, sandbox: Any, tenant: str | None) -> None:
        self.sandbox, self.tenant = sandbox, tenant

    def visma_state(self) -> dict[str, Any]:
        if self.tenant is None:
            return self.sandbox.visma_state()
        return self.sandbox.tenant_state(self.tenant)


def write_group_settings(mappings: Path, **company_payroll: dict[str, Any]) -> None:
    """The deployment's settings.yaml as a group: ``company:`` becomes ``companies:`` (NMF on
    ``visma_default``, NMR on ``visma_nmr`` with its own mapping folder: 5090 → 5092)."""
    path = mappings / "settings.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    single = data.pop("company")
    data["company_defaults"] = {k: single[k] for k in ("visma_branch", "ledger", "currency")}
    data["company_defaults"]["tenant"] = single["tenant"]
    data["companies"] = [
        {"id": "nmf", "ukg_company_code": "NMF", "visma_conn_id": "visma_default",
         "payroll": {"pay_groups": ["NO-M"], **company_payroll.get("nmf", {})}},
        {"id": "nmr", "ukg_company_code": "NMR", "visma_conn_id": "visma_nmr",
         "mappings_dir": "companies/nmr",
         "payroll": {"pay_groups": ["NOR-M"], **company_payroll.get("nmr", {})}},
    ]  # fmt: skip
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    own = mappings / "companies" / "nmr"
    own.mkdir(parents=True)
    for name in ("cost_centers.csv", "projects.csv"):
        shutil.copy(mappings / name, own / name)
    accounts = (mappings / "accounts.csv").read_text(encoding="utf-8")
    assert "5090,5090,org" in accounts
    (own / "accounts.csv").write_text(accounts.replace("5090,5090,org", "5090,5092,org"))


@pytest.fixture
def group(sandbox, airflow_db, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=42, employees=300, group=True)
    sandbox.visma_tenant(B_TENANT, scenario="manufacturer", seed=42, employees=300,
                         chart="mo_i_rana")  # fmt: skip
    mappings = configure(monkeypatch, sandbox, tmp_path)
    monkeypatch.setenv("AIRFLOW_CONN_VISMA_NMR", sandbox.tenant_connection(B_TENANT))
    write_group_settings(mappings)
    return sandbox


def _states(dagrun) -> dict[str, str]:
    return task_states(dagrun)


def _keys(tenant: Tenant) -> collections.Counter:
    return collections.Counter(key_of(b) for b in ours(tenant))


def _company_of_keys(tenant: Tenant) -> set[str]:
    return {key.split(":")[1] for key in _keys(tenant)}


def _accounts(tenant: Tenant) -> set[str]:
    return {str(line["accountNumber"].get("value") if isinstance(line["accountNumber"], dict)
                else line["accountNumber"])
            for b in ours(tenant) for line in b["journalTransactionLines"]}  # fmt: skip


def _ukg_as_mapped(sandbox, run_id: str, moved: dict[str, str] | None = None) -> dict[str, int]:
    out = ukg_latest_per_account(sandbox, [run_id])
    for old, new in (moved or {}).items():
        if old in out:
            out[new] = out.pop(old)
    return out


def assert_posted(sandbox, tenant: Tenant, company_code: str, run_id: str, **moved: str) -> None:
    """The tenant holds exactly ``run_id``'s journals, once each, released, and its net per
    account is that UKG run's (with this company's own account mapping)."""
    keys = _keys(tenant)
    assert keys and set(keys.values()) == {1}, keys
    assert {k.split(":")[1] for k in keys} == {company_code}
    assert {k.split(":")[2] for k in keys} == {run_id}
    assert {b["status"] for b in ours(tenant)} == {"Posted"}
    assert per_account(visma_net(tenant)) == _ukg_as_mapped(sandbox, run_id, moved)


def test_two_companies_each_post_their_month_into_their_own_visma(group, tmp_path):
    a, b = Tenant(group, None), Tenant(group, B_TENANT)
    nmf = load_company_dag("nmf")
    assert nmf.dag_id == "ukg_visma_payroll_gl__nmf" and "company:nmf" in nmf.tags

    first = run_company_period("nmr", PERIOD)
    assert str(first.state) == "success", _states(first)
    assert ours(a) == []  # nothing of NMR in NMF's Visma, though most accounts would fit
    assert_posted(group, b, "NMR", RUNS["nmr"], **{"5090": "5092"})
    assert "5092" in _accounts(b) and "5090" not in _accounts(b)

    second = run_company_period("nmf", PERIOD)
    assert str(second.state) == "success", _states(second)
    assert_posted(group, a, "NMF", RUNS["nmf"])
    assert "5090" in _accounts(a)
    assert _company_of_keys(b) == {"NMR"}  # NMF's run left NMR's company untouched

    # per company: the run notes, the report folders and the audit rows say whose period it is
    assert (note_of(first) or "").startswith(f"nmr · Pay period {PERIOD}: reconciled")
    assert (note_of(second) or "").startswith(f"nmf · Pay period {PERIOD}: reconciled")
    reports = Path(os.environ["AIRFLOW_HOME"]) / "ukg_visma" / "reports" / "payroll_gl" / PERIOD
    folders = {p.name.split("__", 1)[0] for p in reports.iterdir() if "__manual" in p.name}
    assert {"nmf", "nmr"} <= folders
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{tmp_path}/audit.db")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select run_id, company, status from runs")).all()
    assert {(r.company, r.status) for r in rows} >= {("NMF", "success"), ("NMR", "success")}
    assert all(r.run_id.startswith(f"payroll_gl:{PERIOD}:{r.company.lower()}__") for r in rows)


def test_a_bad_line_in_one_company_stops_that_company_only(group, tmp_path):
    """NMF's mapping loses account 5420 (pension): its lines on 5420 are bad lines for NMF —
    NMF's run fails validation and posts nothing; NMR, with its own mapping, posts."""
    a, b = Tenant(group, None), Tenant(group, B_TENANT)
    accounts = tmp_path / "mappings" / "accounts.csv"
    accounts.write_text("".join(
        line for line in accounts.read_text().splitlines(keepends=True)
        if not line.startswith("5420,")
    ))  # fmt: skip
    bad = run_company_period("nmf", PERIOD)
    assert str(bad.state) == "failed" and _states(bad)["validate"] == "failed", _states(bad)
    good = run_company_period("nmr", PERIOD)
    assert str(good.state) == "success", _states(good)
    assert ours(a) == []
    assert_posted(group, b, "NMR", RUNS["nmr"], **{"5090": "5092"})
    assert (note_of(bad) or "").startswith(f"nmf · Pay period {PERIOD}"), note_of(bad)


def test_a_closed_period_in_one_companys_visma_stops_that_company_only(group):
    a, b = Tenant(group, None), Tenant(group, B_TENANT)
    group.tenant_admin(B_TENANT, "POST", f"financial-periods/{PID}", {"closed": True})
    closed = run_company_period("nmr", PERIOD)
    assert str(closed.state) == "failed" and _states(closed)["validate"] == "failed"
    open_ = run_company_period("nmf", PERIOD)
    assert str(open_.state) == "success", _states(open_)
    assert ours(b) == []
    assert_posted(group, a, "NMF", RUNS["nmf"])

    # NMR's controller reopens the period; NMR's period is run again, on its own
    group.tenant_admin(B_TENANT, "POST", f"financial-periods/{PID}", {"closed": False})
    again = run_company_period("nmr", PERIOD)
    assert str(again.state) == "success", _states(again)
    assert_posted(group, b, "NMR", RUNS["nmr"], **{"5090": "5092"})
    assert_posted(group, a, "NMF", RUNS["nmf"])  # untouched by NMR's runs


def test_a_visma_outage_of_one_company_stops_that_company_only(group):
    """NMF's Visma company refuses every journal with 503 (its tenant only): NMF's posting fails
    after its retries and leaves nothing in NMF's ledger; NMR posts its month meanwhile, and its
    Visma company never saw a 503. (NMF's recovery is a clear of its failed post_journal task —
    the journal's lease is that run's — as for one company: docs/ledger-truth.md.)"""
    a, b = Tenant(group, None), Tenant(group, B_TENANT)
    override_settings(
        Path(os.environ["UKG_VISMA_MAPPINGS_DIR"]),
        retries={**QUICK_RETRIES, "transient_retries": 2},
    )  # an outage longer than every retry: NMF gives up
    group.faults("visma", {"method": "POST", "path": r"^/v2/journaltransaction$",
                           "status": 503, "times": None})  # fmt: skip
    down = run_company_period("nmf", PERIOD)
    assert str(down.state) == "failed", _states(down)
    assert any(s == "failed" and t.startswith("post_journal") for t, s in _states(down).items())
    up = run_company_period("nmr", PERIOD)
    assert str(up.state) == "success", _states(up)
    assert_posted(group, b, "NMR", RUNS["nmr"], **{"5090": "5092"})
    assert ours(a) == []  # every POST into NMF's company was refused: nothing there
    assert all(c["status"] != 503 for c in group.tenant_admin(B_TENANT, "GET", "calls")["calls"])
    assert any(c["status"] == 503 for c in group.calls("visma"))


def test_a_short_outage_of_one_companys_visma_is_ridden_out_by_that_company_alone(group):
    """Three 503s on NMR's Visma company: NMR's run retries and ends green with its month posted
    once; NMF's company sees none of it and posts its own month."""
    a, b = Tenant(group, None), Tenant(group, B_TENANT)
    override_settings(Path(os.environ["UKG_VISMA_MAPPINGS_DIR"]), retries=QUICK_RETRIES)
    group.tenant_admin(B_TENANT, "POST", "faults", {"method": "POST", "path":
                       r"^/v2/journaltransaction$", "status": 503, "times": 3})  # fmt: skip
    nmr = run_company_period("nmr", PERIOD)
    assert str(nmr.state) == "success", _states(nmr)
    assert_posted(group, b, "NMR", RUNS["nmr"], **{"5090": "5092"})
    nmf = run_company_period("nmf", PERIOD)
    assert str(nmf.state) == "success", _states(nmf)
    assert_posted(group, a, "NMF", RUNS["nmf"])
    assert all(c["status"] != 503 for c in group.calls("visma"))
