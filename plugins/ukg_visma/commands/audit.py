"""``ukg-visma audit``: answer a controller's "where did this ledger line come from?".

``trace`` prints, for a pay period, every UKG GL line with the Visma batch + line that holds it
(optionally filtered by UKG account and cost centre); ``ledger`` prints the posting ledger (one
row per journal key: status, batch, attempts) — what a retry would replay; both show the pay
period's batch chain (original → adjustment / reversal) first. ``purge`` deletes personal data
older than the retention period (``retention.personal_data_days`` in settings.yaml; see
``docs/personal-data.md`` and ``audit.retention``). ``init`` creates the audit schema once, at
deployment time (docker-compose's ``airflow-init``), through the same connection the tasks use.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="trace source lines to Visma; show the ledger")
    sub = parser.add_subparsers(dest="audit_command", metavar="AUDIT_COMMAND", required=True)
    trace = sub.add_parser("trace", help="UKG GL line → Visma batch + line, for a period")
    trace.add_argument("--period", required=True, help="pay period YYYY-MM")
    trace.add_argument("--account", help="UKG account (base segment), e.g. 5000")
    trace.add_argument("--cost-center", help="UKG cost centre (org level 3), e.g. 110")
    trace.add_argument("--limit", type=int, default=50, help="rows to print (0 = all)")
    trace.add_argument("--audit-url", help="SQLAlchemy URL (default: UKG_VISMA_AUDIT_URL/SQLite)")
    trace.set_defaults(func=_trace)
    led = sub.add_parser("ledger", help="posting ledger of a period: status, batch, attempts")
    led.add_argument("--period", required=True)
    led.add_argument("--audit-url")
    led.set_defaults(func=_ledger)
    purge = sub.add_parser("purge", help="delete personal data older than the retention period")
    purge.add_argument(
        "--older-than",
        type=int,
        metavar="DAYS",
        help="days (default: retention.personal_data_days in settings.yaml)",
    )
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    purge.add_argument("--audit-url")
    purge.set_defaults(func=_purge)
    init = sub.add_parser("init", help="create the audit schema (deployment time, idempotent)")
    init.add_argument(
        "--audit-url",
        help="SQLAlchemy URL (default: UKG_VISMA_AUDIT_URL, the Airflow connection "
        "ukg_visma_audit, then the SQLite file)",
    )
    init.set_defaults(func=_init)


def _engine(url: str | None) -> Engine:
    """The store the tasks use: ``--audit-url``, else ``UKG_VISMA_AUDIT_URL``, else the
    ``ukg_visma_audit`` Airflow connection (env var or metadata DB), else the SQLite default."""
    from ukg_visma.audit.airflow import audit_url_from_airflow, server_context
    from ukg_visma.audit.store import default_url, get_engine

    with server_context():
        resolved = url or audit_url_from_airflow()
    if resolved is None:
        print(f"(audit store: no ukg_visma_audit connection; reading {default_url()})")
    return get_engine(resolved)


def _print_chain(engine: Engine, period: str) -> None:
    """The pay period's batches as last read from Visma: original → adjustment / reversal."""
    from ukg_visma.audit.ledger import period_batches
    from ukg_visma.money import format_ore

    chain = period_batches(engine, period)
    if not chain:
        return
    print(f"Visma batches of pay period {period} (as last read from Visma):")
    print(
        f"  {'UKG run':<16} {'batch':<8} {'kind':<11} {'version':<26} {'status':<9} {'debit':>16}"
    )
    for b in chain:
        kind = b["kind"] + (f" of {b['reverses']}" if b["reverses"] else "")
        print(
            f"  {b['pay_run']:<16} {b['batch_number']:<8} {kind:<11} {b['run_version']:<26} "
            f"{(b['status'] or '-'):<9} {format_ore(int(b['debit_ore'])):>16}"
        )
    print()


def trace_rows(
    engine: Engine, period: str, account: str | None, cost_center: str | None
) -> list[dict[str, Any]]:
    """One row per UKG GL line of ``period``: its key, status, tries and the Visma batch + line.

    A run's lines are audited in bulk (``tasks.payroll.extract``): one audit row per block,
    naming the staged Parquet of its lines, whose ``gl_trace.parquet`` neighbour holds each
    line's target once reconcile ran. A line with a finding has its own row (``gl_line``),
    which speaks for it in that run. Tries are summed over every run of the period.
    """
    from sqlalchemy import select

    from ukg_visma.audit.schema import records, runs

    with engine.connect() as conn:
        run_ids = [r[0] for r in conn.execute(select(runs.c.run_id).where(runs.c.period == period))]
        rows = [
            dict(r._mapping)
            for r in conn.execute(
                select(records)
                .where(
                    records.c.run_id.in_(run_ids),
                    records.c.source_kind.in_(("gl_line", "gl_block")),
                )
                .order_by(records.c.id)
            )
        ]
    per_run: dict[str, dict[str, dict[str, Any]]] = {}
    blocks = [r for r in rows if r["source_kind"] == "gl_block"]
    for row in _block_lines(blocks, account, cost_center):
        per_run.setdefault(row["run_id"], {})[row["source_key"]] = row
    for r in rows:
        detail = r["detail"] or {}
        if r["source_kind"] != "gl_line":
            continue
        if account and detail.get("account") != account:
            continue
        if cost_center and detail.get("cost_centre") != cost_center:
            continue
        per_run.setdefault(r["run_id"], {})[r["source_key"]] = {**r, "detail": detail}
    # one row per source line: the latest run's outcome, tries summed over every run
    latest: dict[str, dict] = {}
    for run_id in sorted(per_run, key=run_ids.index):
        for row in per_run[run_id].values():
            tries = latest[row["source_key"]]["attempts"] if row["source_key"] in latest else 0
            latest[row["source_key"]] = {**row, "attempts": tries + row["attempts"]}
    return list(latest.values())


def _block_lines(
    blocks: list[dict[str, Any]], account: str | None, cost_center: str | None
) -> list[dict[str, Any]]:
    """The lines of audited blocks, read from the staged Parquet their rows name."""
    from ukg_visma.tasks import staging

    out: list[dict[str, Any]] = []
    by_file: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for b in blocks:
        uri = (b["detail"] or {}).get("lines_uri")
        if uri:
            by_file.setdefault((b["run_id"], uri), {})[b["source_key"]] = b
    for (_, uri), rows in by_file.items():
        if not staging.exists(uri):
            continue  # the staging area was cleaned: the block rows still tell the counts
        lines = staging.read_frame(
            uri, columns=["source_key", "source_hash", "run_id", "block_id", "ukg_account",
                          "org_level3"]
        )  # fmt: skip
        if account:
            lines = lines[lines["ukg_account"] == account]
        if cost_center:
            lines = lines[lines["org_level3"] == cost_center]
        block = lines["run_id"].astype("str") + "/" + lines["block_id"].astype("str")
        lines = lines[block.isin(list(rows))]
        trace_uri = staging.sibling(uri, "gl_trace.parquet")
        targets: dict[str, str] = {}
        if staging.exists(trace_uri):
            trace = staging.read_frame(trace_uri)
            trace = trace[trace["source_key"].isin(lines["source_key"])]
            targets = dict(zip(trace["source_key"], trace["target"], strict=True))
        for key, digest, run_id, blk, acct, cc in lines[
            ["source_key", "source_hash", "run_id", "block_id", "ukg_account", "org_level3"]
        ].itertuples(index=False):
            row = rows[f"{run_id}/{blk}"]
            out.append(
                {
                    "run_id": row["run_id"],
                    "flow": row["flow"],
                    "source_kind": "gl_line",
                    "source_key": key,
                    "source_hash": digest,
                    "target_kind": row["target_kind"],
                    "target_key": targets.get(key) or None,
                    "status": row["status"],
                    "error": row["error"],
                    "attempts": row["attempts"],
                    "detail": {"run_id": run_id, "account": acct, "cost_centre": cc},
                    "created_at": row["created_at"],
                    "updated_at": row["updated_at"],
                }
            )
    return out


def _trace(args: argparse.Namespace) -> int:
    engine = _engine(args.audit_url)
    _print_chain(engine, args.period)
    rows = trace_rows(engine, args.period, args.account, args.cost_center)
    if not rows:
        print(f"no audited GL lines for period {args.period} with these filters")
        return 1
    shown = rows if args.limit == 0 else rows[: args.limit]
    print(f"{'UKG line':<28} {'account':<8} {'cc':<5} {'status':<10} {'tries':>5}  Visma")
    for r in shown:
        d = r["detail"]
        print(
            f"{r['source_key']:<28} {d.get('account', ''):<8} {d.get('cost_centre', ''):<5} "
            f"{r['status']:<10} {r['attempts']:>5}  {r['target_key'] or r['error'] or ''}"
        )
    if len(shown) < len(rows):
        print(f"… {len(rows) - len(shown)} more (use --limit 0)")
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    print("lines by status: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))
    return 0


def _ledger(args: argparse.Namespace) -> int:
    from ukg_visma.audit.ledger import list_period

    engine = _engine(args.audit_url)
    _print_chain(engine, args.period)
    entries = list_period(engine, args.period)
    if not entries:
        print(f"no journals in the posting ledger for period {args.period}")
        return 1
    for e in entries:
        print(f"{e.journal_key}  {e.status:<9} batch {e.batch_number or '-':<8} tries {e.attempts}")
    return 0


def _purge(args: argparse.Namespace) -> int:
    from ukg_visma.audit.retention import purge
    from ukg_visma.settings import load_settings

    days = args.older_than
    if days is None:
        days = load_settings().retention.personal_data_days
    if days < 1:
        print("--older-than must be at least 1 day")
        return 2
    counts = purge(_engine(args.audit_url), days, dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"personal data older than {days} day(s): {verb} "
          + ", ".join(f"{table} {n}" for table, n in counts.items()))  # fmt: skip
    return 0


def _init(args: argparse.Namespace) -> int:
    from sqlalchemy import inspect

    from ukg_visma.audit.migrations import SCHEMA_VERSION, current_version
    from ukg_visma.audit.schema import metadata
    from ukg_visma.audit.store import UPGRADES, engine_for, resolve_url

    url = args.audit_url
    if not url:
        from ukg_visma.audit.airflow import audit_url_from_airflow

        # Resolve as the api-server does, so that a connection kept in the metadata DB is found
        # too (outside a task, Airflow 3.3 searches it only in its server context).
        os.environ.setdefault("_AIRFLOW_PROCESS_CONTEXT", "server")
        url = audit_url_from_airflow()
    url = resolve_url(url)
    engine = engine_for(url)  # creates or upgrades the schema under the store's lock
    with engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        version = current_version(conn)
    missing = sorted(set(metadata.tables) - present)
    where = engine.url.render_as_string(hide_password=True)
    for step in UPGRADES.get(url, []):
        print(f"audit schema: {step}")
    if missing:
        print(f"audit schema incomplete at {where}: missing {', '.join(missing)}")
        return 1
    print(
        f"audit schema ready at {where}: version {version} "
        f"(this ukg-visma: {SCHEMA_VERSION}), {len(metadata.tables)} tables"
    )
    return 0 if version == SCHEMA_VERSION else 1
