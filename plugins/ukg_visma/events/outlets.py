"""The assets this project *produces*, for downstream DAGs to schedule on.

- ``ukg_visma_payroll_posted`` (``visma://payroll/posted``): one asset event per pay period
  that a run posted and reconciled; its extra says which period, batches, totals and result.
  Emitted through an asset alias, because the ``reconcile`` task that knows these facts also ends
  dry runs and reversal-only runs, which post no pay period and so must emit nothing.
- ``ukg_visma_employees_synced`` (``visma://employees/synced``): one asset event per employee
  sync whose headcount check passed; its extra carries the counts.

The pay-period DAG is partitioned by pay month, and an alias's event carries its run's partition
key (Airflow 3.3 sets it from the DAG run; ``add_partitions`` is refused on an alias): a posted
October's event has ``partition_key == "2026-10"``. Airflow 3.3.2 queues only partition-aware DAGs
for a keyed event, so a downstream reporting DAG schedules with
``PartitionedAssetTimetable(assets=PAYROLL_POSTED)`` — one run per posted pay period, keyed by
it — then ``triggering_asset_events`` in its tasks hands it the extra (docs/alerts.md). Extras
are JSON: amounts as NOK strings with two decimals plus exact øre integers, never floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.sdk import Asset, AssetAlias

PAYROLL_POSTED = Asset(name="ukg_visma_payroll_posted", uri="visma://payroll/posted", group="ukg")
PAYROLL_POSTED_ALIAS = AssetAlias(name="ukg_visma_payroll_posted_alias", group="ukg")
EMPLOYEES_SYNCED = Asset(
    name="ukg_visma_employees_synced", uri="visma://employees/synced", group="ukg"
)


def period_posted_extra(outcome: Mapping[str, Any]) -> dict[str, Any] | None:
    """The extra of a posted pay period from ``reconcile``'s outcome; None when nothing was
    posted for a period (a dry run, a reversal on request)."""
    if outcome.get("dry_run") or "reversed" in outcome or "period" not in outcome:
        return None
    return {
        "period": outcome["period"],
        "batches": list(outcome.get("batches") or []),
        "batch_count": int(outcome.get("batch_count", len(outcome.get("batches") or []))),
        "journals": int(outcome.get("journals", 0)),
        "created": list(outcome.get("created") or []),
        "pay_runs": dict(outcome.get("runs") or {}),
        "debit": outcome.get("debit"),
        "credit": outcome.get("credit"),
        "debit_ore": outcome.get("debit_ore"),
        "credit_ore": outcome.get("credit_ore"),
        "currency": "NOK",
        "reconciliation": outcome.get("result") or ("reconciled" if outcome.get("ok") else "?"),
    }


def announce_period_posted(
    context: Mapping[str, Any],
    outcome: Mapping[str, Any],
    *,
    company: str | None = None,
    currency: str | None = None,
) -> bool:
    """Add the ``PAYROLL_POSTED`` event (through the alias) when a period was posted.

    ``company``: the UKG company code the period was posted for — in a group each company's DAG
    emits its own events, and a downstream DAG tells them apart by this key."""
    extra = period_posted_extra(outcome)
    if extra is None:
        return False
    if company:
        extra["company"] = company
    if currency:
        extra["currency"] = currency
    context["outlet_events"][PAYROLL_POSTED_ALIAS].add(PAYROLL_POSTED, extra=extra)
    return True


def employees_synced_extra(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The extra of one employee sync from ``check_headcount``'s summary: counts only."""
    applied = summary.get("applied") or {}
    return {
        "cost_centres": int(summary.get("cost_centres", 0)),
        "mismatches": int(summary.get("mismatches", 0)),
        # mismatches + cost centres that differ by quarantined employees only
        "differing_cost_centres": int(summary.get("differing_cost_centres", 0)),
        "applied": {str(k): int(v) for k, v in dict(applied).items()},
        "pending": int(summary.get("pending", 0)),
        "quarantined": int(summary.get("quarantined", 0)),
        "headcount": summary.get("headcount"),
    }


def announce_employees_synced(context: Mapping[str, Any], summary: Mapping[str, Any]) -> None:
    """Set the extra of the ``EMPLOYEES_SYNCED`` event the task emits on success."""
    context["outlet_events"][EMPLOYEES_SYNCED].extra = employees_synced_extra(summary)
