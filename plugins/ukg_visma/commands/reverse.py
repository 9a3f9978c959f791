"""``ukg-visma reverse --batch N``: reverse one of this connector's Visma batches, exactly once.

For a controller who needs a posted payroll batch undone now (a wrong mapping, a wrong period):
the batch is read from Visma, its period listed, and a reversal (debits ↔ credits, same
dimensions, referencing the batch) posted and released — unless Visma already holds one. Safe to
run again after a crash or by two people at once: the reversal's journal key depends only on the
batch. The same is available in the Airflow UI as the pay-period DAG's ``reverse_batches`` param.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reverse", help="reverse one of this connector's Visma batches (exactly once)"
    )
    parser.add_argument(
        "--batch", action="append", required=True, metavar="NUMBER", help="batch (repeatable)"
    )
    parser.add_argument("--reason", default="", help="shown in the reversal's description")
    parser.add_argument("--conn", default="visma_default", help="Visma connection id")
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would happen, post nothing"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ukg_visma.audit.airflow import server_context

    with server_context():
        return _reverse(args)


def _reverse(args: argparse.Namespace) -> int:
    import datetime as dt
    import os

    from ukg_visma.audit.airflow import audit_engine
    from ukg_visma.errors import NotRetryable
    from ukg_visma.gl.catalog import periods_from_api
    from ukg_visma.gl.posting_period import place_journal
    from ukg_visma.hooks.visma import VismaHook
    from ukg_visma.settings import load_settings
    from ukg_visma.tasks.payroll.holdings import read_held, remember
    from ukg_visma.tasks.payroll.posting import post_journal
    from ukg_visma.tasks.payroll.reversals import check_reversed, decide, reversal_ref
    from ukg_visma.tasks.payroll.run import PayrollRun
    from ukg_visma.tasks.payroll.staged import stage_ref

    settings = load_settings()
    visma = VismaHook(visma_conn_id=args.conn)
    periods = periods_from_api(visma.financial_periods())
    try:
        decisions = decide(visma, settings, args.batch, reason=args.reason, periods=periods)
    except NotRetryable as exc:
        print(f"refused: {exc}")
        return 2
    for d in decisions:
        print(d.message)
    if args.dry_run:
        return 0
    engine = audit_engine()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    for d in decisions:
        if d.journal is None:
            continue
        ctx = PayrollRun(run_key=f"reverse__{stamp}__{d.batch.number}", period=d.pay_period)
        journal = place_journal(d.journal, periods, settings.payroll.closed_period)
        ref = reversal_ref(stage_ref(ctx, journal, settings, None), d)
        ref["search_periods"] = sorted({*d.periods, ref["visma_period"]})
        result = post_journal(
            visma,
            engine,
            ref,
            d.pay_period,
            owner=f"cli/{ctx.run_key}/{os.getpid()}",
            release=settings.payroll.release,
        )
        print(
            f"batch {d.batch.number} reversed by batch {result['batch_number']} "
            f"({result['status']})"
        )
        if result.get("lost"):
            print(f"our batch {result['lost']} LOST to batch {result['batch_number']} (emptied)")
        held = read_held(
            visma, ref["search_periods"], tenant=settings.company.tenant, companies=None
        )
        remember(engine, ctx, held)
    held = read_held(
        visma,
        sorted({p for d in decisions for p in (*d.periods, d.batch.period_id)}),
        tenant=settings.company.tenant,
        companies=None,
    )
    problems, duplicates = check_reversed(held, [d.batch.number for d in decisions])
    problems += [f"journal {k} is held by batches {', '.join(v)}" for k, v in duplicates.items()]
    for p in problems:
        print(f"PROBLEM: {p}")
    return 1 if problems else 0
