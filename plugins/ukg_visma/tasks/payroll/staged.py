"""A pay-period run's journals and Visma payloads on the staging disk, shared by the steps.

Why here: the transform (validate) stages the run's journals, the plan reads them back and
stages one Visma payload per journal to create, the reconciliation and a reversal on request
read or stage the same files. Each step reads and writes them through these functions, so no
step imports another to find a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

from ukg_visma.gl.journal import Journal, payload_hash, to_visma_payload
from ukg_visma.hooks.jsonbody import dumps
from ukg_visma.settings import Settings
from ukg_visma.tasks import staging
from ukg_visma.tasks.payroll.run import PayrollRun

__all__ = ["hash_name", "stage_journals", "stage_ref", "staged_journals"]

JOURNALS = "journals"  # the staged name of the run's journals (JSON)


def stage_journals(ctx: PayrollRun, journals: Iterable[Journal]) -> str:
    """Stage the run's journals as the transform built them (the plan compares them with Visma)."""
    return staging.write_json(ctx.run_key, JOURNALS, [j.model_dump(mode="json") for j in journals])


def staged_journals(ctx: PayrollRun) -> list[Journal]:
    """The run's journals as the transform built them (for the plan and the report)."""
    uri = str(staging.path_for(ctx.run_key, f"{JOURNALS}.json"))
    return [Journal.model_validate(j) for j in staging.read_json(uri)]


def hash_name(journal: Journal) -> str:
    """A file name for a journal's staged payload (journal keys contain slashes)."""
    return hashlib.sha256(journal.journal_key.encode()).hexdigest()[:16]


def stage_ref(
    ctx: PayrollRun, journal: Journal, settings: Settings, posting_date: str | None
) -> dict:
    """Stage one journal's Visma payload (created on hold; the posting step releases it) and
    return the ref the posting task reads: no payload travels through XCom."""
    when = (
        dt.date.fromisoformat(posting_date) if posting_date and journal.kind != "reversal" else None
    )
    payload = to_visma_payload(journal, settings, ctx.period, hold=True, transaction_date=when)
    uri = staging.path_for(ctx.run_key, f"journal-{journal.kind}-{hash_name(journal)}")
    with uri.open("w") as fh:
        fh.write(dumps(payload))
    return {
        "journal_key": journal.journal_key,
        "kind": journal.kind,
        "payload": str(uri),
        "payload_hash": payload_hash(payload),
        "company": journal.company,
        "pay_run": journal.pay_run,
        "run_version": journal.key.run_version,
        "split_index": journal.key.split_index,
        "visma_period": payload["financialPeriod"]["value"],
        "lines": len(journal.lines),
        "debit_ore": journal.debit_ore,
    }
