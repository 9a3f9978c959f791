"""Judging the pipelines from the sandboxes' own state, never from the project's records.

Pay periods: every journal key held by exactly one live batch, every batch balanced, Visma's net
per account × subaccount × project equal to UKG's latest GL versions mapped with the reviewed
mapping files (read here on their own, not through ``ukg_visma``), and the posting ledger of the
audit store naming exactly the batches Visma holds. Employees: every good UKG change in Visma,
nobody twice, headcounts per cost centre equal, the bad records quarantined and named.
"""

from __future__ import annotations

import collections
import csv
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

KEY = re.compile(r"key=((?:[A-Za-z0-9_.\-]+:){4}\d+)")


def value(v: Any) -> Any:
    return v.get("value") if isinstance(v, dict) else v


def ore(v: Any) -> int:
    return int(Decimal(str(value(v) or 0)) * 100)


def key_of(batch: dict) -> str | None:
    found = KEY.search(str(value(batch.get("description")) or ""))
    return found.group(1) if found else None


def subaccount_of(line: dict) -> str:
    sub = line.get("subaccount")
    if isinstance(sub, list):
        return "-".join(str(s["segmentValue"]) for s in sorted(sub, key=lambda s: s["segmentId"]))
    if isinstance(sub, dict):
        return sub.get("subaccountNumber") or "-".join(
            str(s["segmentValue"]) for s in sub.get("segments", [])
        )
    return str(sub)


class Mapping:
    """UKG GL line → (Visma account, subaccount, project), from include/mappings/*.csv."""

    def __init__(self, directory: Path) -> None:
        def rows(name: str) -> list[dict[str, str]]:
            path = directory / name
            if not path.exists():
                return []
            with path.open(encoding="utf-8") as fh:
                # the generated file starts with '#' comment lines, as the package allows
                return list(csv.DictReader(x for x in fh if not x.lstrip().startswith("#")))

        self.accounts = {r["ukg_account"]: r for r in rows("accounts.csv")}
        self.centres: dict[tuple[str, str], str] = {}
        for name in ("cost_centers.generated.csv", "cost_centers.csv"):  # hand-made rows win
            for r in rows(name):
                self.centres[(r["ukg_level"], r["ukg_code"])] = r["segment_value"]
        self.projects = {r["ukg_project"]: r["visma_project"] for r in rows("projects.csv")}

    def target(self, line: dict) -> tuple[str, str, str]:
        base = line.get("baseSegment") or str(line["generalLedgerAccount"]).split("-")[0]
        account = self.accounts[base]
        if account["dimensions"] != "org":
            return account["visma_account"], "00-000", ""
        seg1 = self.centres.get(("2", str(line["orgLevel2"])), str(line["orgLevel2"]))
        seg2 = self.centres.get(("3", str(line["orgLevel3"])), str(line["orgLevel3"]))
        project = self.projects.get(line.get("project") or "", "")
        return account["visma_account"], f"{seg1}-{seg2}", project


def live_batches(visma_state: dict, tenant: str = "nordicmfg") -> list[dict]:
    return [
        b
        for b in visma_state["journals"]
        if (k := key_of(b)) and k.startswith(f"{tenant}:") and b.get("status") != "Voided"
    ]


def visma_net(batches: list[dict]) -> dict[tuple[str, str, str], int]:
    net: collections.Counter = collections.Counter()
    for b in batches:
        for line in b["journalTransactionLines"]:
            raw = line.get("project")  # read back as {"id": ...} (the sandbox follows the DTO)
            project = str(
                (raw.get("value") or raw.get("id")) if isinstance(raw, dict) else raw or ""
            )
            k = (str(value(line["accountNumber"])), subaccount_of(line),
                 "" if project == "X" else project)  # fmt: skip
            net[k] += ore(line.get("debitAmountInCurrency")) - ore(
                line.get("creditAmountInCurrency")
            )
    return {k: v for k, v in net.items() if v}


def ukg_expected(sandbox: Any, run_ids: list[str], mapping: Mapping) -> dict:
    """UKG's latest GL version of every run (voided runs count zero), mapped, net øre."""
    out: collections.Counter = collections.Counter()
    for run_id in run_ids:
        info = sandbox.ukg_admin("GET", f"/_sandbox/gl-runs/{run_id}/versions?lines=true")
        if info["status"] == "Voided":
            continue
        (latest,) = [v for v in info["versions"] if v["current"]]
        for line in latest["glLines"]:
            out[mapping.target(line)] += ore(line["debitAmt"]) - ore(line["creditAmt"])
    return {k: v for k, v in out.items() if v}


def judge_period(
    sandbox: Any, period: str, run_ids: list[str], mapping: Mapping, engine: Any
) -> dict[str, Any]:
    """Findings for one pay period: duplicates, unbalanced batches, lost øre, ledger drift."""
    from ukg_visma.audit import ledger  # the store under test, read only to compare with Visma

    runs = set(run_ids)
    mine = [b for b in live_batches(sandbox.visma_state()) if key_of(b).split(":")[2] in runs]
    keys = collections.Counter(key_of(b) for b in mine)
    duplicates = {k: n for k, n in keys.items() if n > 1}
    unbalanced = [
        b["batchNumber"]
        for b in mine
        if sum(ore(x.get("debitAmountInCurrency")) for x in b["journalTransactionLines"])
        != sum(ore(x.get("creditAmountInCurrency")) for x in b["journalTransactionLines"])
    ]
    not_posted = [b["batchNumber"] for b in mine if b.get("status") != "Posted"]
    have, want = visma_net(mine), ukg_expected(sandbox, run_ids, mapping)
    diff = {
        k: want.get(k, 0) - have.get(k, 0)
        for k in set(have) | set(want)
        if want.get(k, 0) != have.get(k, 0)
    }
    known = {e.batch_number for e in ledger.list_period(engine, period) if e.batch_number}
    held = {b["batchNumber"] for b in mine}
    return {
        "batches": len(mine),
        "duplicates": duplicates,
        "unbalanced": unbalanced,
        "not_posted": not_posted,
        "lost_ore": sum(abs(v) for v in diff.values()),
        "diff_cells": dict(list(diff.items())[:5]),
        "ledger_missing": sorted(held - known),
        "ok": not duplicates and not unbalanced and not diff and not not_posted
        and held <= known,
    }  # fmt: skip


def judge_employees(sandbox: Any, bad: dict[str, str], engine: Any) -> dict[str, Any]:
    """``bad``: employee number → the field made bad (still bad in UKG now)."""
    from employee_sync_helpers import expected_visma, no_email_in_ukg, ukg_employees

    from ukg_visma.audit import employees as state

    ukg = ukg_employees(sandbox)
    found = sandbox.visma_state()["employees"]
    numbers = collections.Counter(e["employeeNumber"] for e in found)
    duplicates = {n: c for n, c in numbers.items() if c > 1}
    visma = {e["employeeNumber"]: e for e in found}
    want = {n: w for n, w in expected_visma(ukg, visma).items() if n not in bad}
    lost = sorted(
        n for n, w in want.items()
        if (visma.get(n, {}).get("department"), visma.get(n, {}).get("status")) != w
    )  # fmt: skip
    by_number = {e["employeeNumber"]: e for e in ukg.values()}
    stale = sorted(
        n for n, e in visma.items()
        if n not in bad and by_number.get(n, {}).get("employeeStatus") == "T"
        and e["status"] != "Inactive"
    )  # fmt: skip
    head_ukg = collections.Counter(w[0] for w in want.values())
    head_visma = collections.Counter(
        e["department"] for n, e in visma.items() if e["status"] == "Active" and n not in bad
    )
    rejections = state.list_rejections(engine)
    named = {r["employee_number"]: r for r in rejections}
    unnamed = [n for n in bad if n not in named or not named[n]["findings"]]
    # UKG employees without e-mail Visma cannot create are quarantined by design (named).
    no_email = {
        n for n in no_email_in_ukg(ukg, visma)
        if n in named and any(f["field"] == "emailAddress" for f in named[n]["findings"])
    }  # fmt: skip
    wrongly = sorted(set(named) - set(bad) - no_email)
    return {
        "employees": len(want),
        "duplicates": duplicates,
        "lost": lost + stale,
        "headcount_equal": head_ukg == head_visma,
        "quarantined": sorted(named),
        "not_quarantined": unnamed,
        "wrongly_quarantined": wrongly,
        "ok": not duplicates and not lost and not stale and head_ukg == head_visma
        and not unnamed and not wrongly,
    }  # fmt: skip
