"""Judging a pay period from the sandboxes' own state (not from the project's records).

Shared by the ledger-truth end-to-end tests: our batches as the Visma sandbox holds them (raw
JSON, parsed here independently of ``ukg_visma``), Visma's net per account × subaccount ×
project, UKG's latest GL versions per account, and the sandbox call log.
"""

from __future__ import annotations

import collections
import re
from decimal import Decimal
from pathlib import Path

import pytest
from payroll_helpers import run_period, task_states
from sandbox_fixture import configure

PERIOD, PID = "2026-10", "202610"
REGULAR, OFF_CYCLE = "NMF-202610-R1", "NMF-202610-C1"
# Visma periods our batches of 2026-10 are looked for in: 202610 and the two later ones of the
# bounded scan for moved batches (gl/holdings.search_periods)
SCAN = 3
KEY = re.compile(r"key=((?:[A-Za-z0-9_.\-]+:){4}\d+)")


def value(v):
    return v.get("value") if isinstance(v, dict) else v


def ore(v) -> int:
    return int(Decimal(str(value(v) or 0)) * 100)


def ours(sandbox, *, live_only: bool = True) -> list[dict]:
    """Our batches in the Visma sandbox (description carries a journal key), raw."""
    out = []
    for b in sandbox.visma_state()["journals"]:
        if not KEY.search(str(value(b.get("description")) or "")):
            continue
        if live_only and b.get("status") == "Voided":
            continue
        out.append(b)
    return out


def key_of(batch: dict) -> str:
    return KEY.search(str(value(batch["description"]))).group(1)


def visma_net(sandbox) -> dict[tuple[str, str, str], int]:
    """Net øre (debit − credit) per account × subaccount × project over our live batches."""
    net: collections.Counter = collections.Counter()
    for b in ours(sandbox):
        for line in b["journalTransactionLines"]:
            sub = line.get("subaccount")
            if isinstance(sub, list):
                sub = "-".join(
                    str(s["segmentValue"]) for s in sorted(sub, key=lambda s: s["segmentId"])
                )
            elif isinstance(sub, dict):
                sub = sub.get("subaccountNumber") or "-".join(
                    str(s["segmentValue"]) for s in sub.get("segments", [])
                )
            raw = line.get("project")  # Visma reads a project back as {"id": ...}
            project = str(
                (raw.get("id") or raw.get("value")) if isinstance(raw, dict) else raw or ""
            )
            key = (str(value(line["accountNumber"])), str(sub), "" if project == "X" else project)
            net[key] += ore(line.get("debitAmountInCurrency")) - ore(
                line.get("creditAmountInCurrency")
            )
    return {k: v for k, v in net.items() if v}


def per_account(net: dict) -> dict[str, int]:
    out: collections.Counter = collections.Counter()
    for (account, _, _), v in net.items():
        out[account] += v
    return {k: v for k, v in out.items() if v}


def ukg_latest_per_account(sandbox, run_ids) -> dict[str, int]:
    """UKG's latest GL version of each run, net per (identity-mapped) account, in øre."""
    out: collections.Counter = collections.Counter()
    for run_id in run_ids:
        info = sandbox.ukg_admin("GET", f"/_sandbox/gl-runs/{run_id}/versions?lines=true")
        if info["status"] == "Voided":
            continue
        (latest,) = [v for v in info["versions"] if v["current"]]
        for line in latest["glLines"]:
            account = line.get("baseSegment") or line["generalLedgerAccount"].split("-")[0]
            out[account] += ore(line["debitAmt"]) - ore(line["creditAmt"])
    return {k: v for k, v in out.items() if v}


def calls_after(sandbox, since: int) -> list[dict]:
    return [c for c in sandbox.calls("visma", since=since) if c["seq"] > since]


def journal_posts(sandbox, since: int = 0) -> int:
    return sum(
        1
        for c in calls_after(sandbox, since)
        if c["method"] == "POST" and c["path"].rstrip("/") == "/v2/journaltransaction"
    )


def period_listings(sandbox, since: int = 0) -> int:
    """Listings of the period started (first pages; a listing may span several pages)."""
    from urllib.parse import parse_qs

    return sum(
        1
        for c in calls_after(sandbox, since)
        if c["method"] == "GET"
        and c["path"].rstrip("/") == "/v2/journaltransaction"
        and parse_qs(c.get("query") or "").get("pageNumber", ["1"]) == ["1"]
    )


def last_call(sandbox) -> int:
    calls = sandbox.calls("visma")
    return calls[-1]["seq"] if calls else 0


def assert_one_live_batch_per_key(sandbox) -> None:
    keys = collections.Counter(key_of(b) for b in ours(sandbox))
    assert keys and max(keys.values()) == 1, keys


def report_text(dagrun, name: str = "summary.md") -> str:
    import os

    base = Path(os.environ["AIRFLOW_HOME"]) / "ukg_visma" / "reports" / "payroll_gl" / PERIOD
    safe = re.sub(r"[^A-Za-z0-9_.=-]+", "_", dagrun.run_id)
    return (base / safe / name).read_text()


def use_store(monkeypatch, path: Path) -> None:
    monkeypatch.setenv("UKG_VISMA_AUDIT_URL", f"sqlite:///{path}")


@pytest.fixture
def payroll(sandbox, airflow_db, monkeypatch, tmp_path):
    sandbox.reset(scenario="manufacturer", seed=42, employees=300)
    configure(monkeypatch, sandbox, tmp_path)
    return sandbox


@pytest.fixture
def posted(payroll, monkeypatch, tmp_path):
    """2026-10 posted once with audit store A; returns Visma's net after it."""
    use_store(monkeypatch, tmp_path / "audit-a.db")
    dagrun = run_period(PERIOD)
    assert str(dagrun.state) == "success", task_states(dagrun)
    net = visma_net(payroll)
    assert per_account(net) == ukg_latest_per_account(payroll, [REGULAR, OFF_CYCLE])
    return net
