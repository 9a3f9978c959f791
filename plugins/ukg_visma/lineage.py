"""Hook-level lineage: the UKG GL runs a pay period read, the Visma journal batches it wrote.

Reported to Airflow's hook lineage collector (``airflow.sdk.lineage.get_hook_lineage_collector``)
with the hook as its context; a reader of that collector — the OpenLineage provider's listener,
when an OpenLineage transport is configured — turns them into the task's input and output
datasets, so a Marquez or Astro user sees UKG → staging → Visma per pay period.

It costs nothing when no transport is configured: then no plugin registers a hook lineage reader,
the collector is Airflow's ``NoOpCollector``, and every function here returns before building a
single asset. Nothing here imports the OpenLineage provider; only the converters
(``ukg_visma.lineage_openlineage``, named in ``provider_info``) do, and only the provider
calls them.

Datasets (AIP-60 asset URIs, one per source or target object):

- input ``ukg://<host>/<tenant>/<company>/<pay group>/<run id>`` — one UKG pay run's GL export;
  extra: period, runId, version (``glRunDateTime``), lines (the period's GL lines read).
- output ``visma://<host>/<tenant>/<period>/<journal key>`` — one journal batch;
  extra: period, journalKey, batchNumber, runId, version, lines, debit/credit (øre and text),
  status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit


def _collector() -> Any | None:
    """Airflow's collector, or None when nobody reads lineage (no transport configured)."""
    from airflow.sdk.lineage import NoOpCollector, get_hook_lineage_collector

    collector = get_hook_lineage_collector()
    return None if isinstance(collector, NoOpCollector) else collector


def _money(ore: int) -> str:
    """``123456`` øre → ``"1234.56"`` (exact; no float)."""
    return str(Decimal(ore).scaleb(-2))


def _host(base_url: str) -> str:
    parts = urlsplit(base_url)
    return parts.netloc or parts.path.strip("/")


def _path(*segments: str) -> str:
    return "/".join(quote(str(s) or "-", safe="") for s in segments)


def gl_run_uri(base_url: str, tenant: str, company: str, pay_group: str, run_id: str) -> str:
    return f"ukg://{_host(base_url)}/{_path(tenant, company, pay_group, run_id)}"


def journal_uri(base_url: str, tenant: str, period: str, journal_key: str) -> str:
    return f"visma://{_host(base_url)}/{_path(tenant, period, journal_key)}"


def report_gl_runs_read(
    hook: Any, period: str, runs: Iterable[Mapping[str, Any]], extracted: Mapping[str, Any]
) -> int:
    """One input dataset per UKG pay run the period's extract read (``runs``: UKG's run
    records, ``extracted``: the extract step's result); returns how many."""
    collector = _collector()
    if collector is None:
        return 0
    cfg = hook.config
    versions = dict(extracted.get("versions") or {})
    by_id = {str(r.get("runId")): r for r in runs}
    reported = 0
    for run_id in extracted.get("runs") or []:
        run = by_id.get(str(run_id)) or {}
        uri = gl_run_uri(
            cfg.base_url,
            cfg.tenant_alias,
            str(run.get("companyCode") or run.get("coId") or "-"),
            str(run.get("payGroup") or "-"),
            run_id,
        )
        extra = {
            "period": period,
            "runId": run_id,
            "version": versions.get(run_id),
            "lines": int(extracted.get("line_count") or 0),
        }
        collector.add_input_asset(context=hook, uri=uri, asset_extra=extra)
        reported += 1
    return reported


def report_journal_written(
    hook: Any, period: str, ref: Mapping[str, Any], posted: Mapping[str, Any]
) -> bool:
    """The output dataset of one journal batch a posting task created or adopted in Visma."""
    collector = _collector()
    if collector is None:
        return False
    cfg = hook.config
    debit = int(ref.get("debit_ore") or 0)
    key = str(posted.get("journal_key") or ref.get("journal_key"))
    extra: dict[str, Any] = {
        "period": period,
        "journalKey": key,
        "batchNumber": posted.get("batch_number"),
        "status": posted.get("status"),
        "runId": ref.get("pay_run"),
        "version": ref.get("run_version"),
        "lines": int(ref.get("lines") or 0),
        # a journal balances: debit = credit
        "debitOre": debit,
        "creditOre": debit,
        "debit": _money(debit),
        "credit": _money(debit),
    }
    uri = journal_uri(cfg.base_url, cfg.tenant_id, period, key)
    collector.add_output_asset(context=hook, uri=uri, asset_extra=extra)
    return True
