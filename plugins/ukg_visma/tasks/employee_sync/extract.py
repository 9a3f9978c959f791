"""Employee sync, step 1 (UKG side): what changed since the watermark, queued for Visma.

Two sources, because neither is enough alone: webhooks arrive late, twice, out of order or never,
and the change feed is polled only every few hours. The step

1. drains the inbox (events the receiver stored) into employee ids;
2. polls UKG's change feed (``UkgHook.employee_change_pages``: ``employee-changes``) from the
   watermark minus the overlap to now, every page — when UKG's call budget allows
   (``employees.feed_budget``: never on a webhook-started run; at most 8 a day, 3 h apart, each
   call recorded in ``feed_calls``); otherwise the poll is deferred and the watermark stays — or,
   on the first run and on a full resync, reads the full employee lists instead
   (employment-details + person-details);
3. pulls the full snapshot (``employee-changes/{employeeId}``) of ids the feed did not return
   (events are thin); every snapshot is stamped ``seenAt`` = when it was read, because the feed
   itself is not time-stamped;
4. parses every snapshot **alone**: one that cannot be parsed (a date like ``31.12.2026``, a
   blank ``employeeNumber``) is quarantined — a finding naming the employee, field, value and
   rule, kept with the raw payload in ``rejected_employees`` and re-read from UKG on every later
   run until it parses — and never holds back the others;
5. merges by employee (latest read wins, including a change still pending from an
   earlier run), classifies against the last applied state, and **queues** every change that must
   reach Visma in ``pending_changes`` — the durable work list of step 2. Repeats and stale
   (older) snapshots are not queued; each gets an audit row saying why. A full resync queues the
   repeats too, so that step 2 can repair what differs in Visma.

Inbox events are marked processed once their employee's change is queued (the queue, not the
inbox, now carries it); the watermark moves only in step 2, after the queue is worked off.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ukg_visma.audit import employees as state
from ukg_visma.audit import feed_calls, inbox, records
from ukg_visma.audit import visma_employees as visma_mirror
from ukg_visma.employees.diff import ChangeKind, merge_changes
from ukg_visma.employees.feed_budget import FeedVerdict, decide
from ukg_visma.employees.models import EmployeeSnapshot
from ukg_visma.employees.quarantine import Finding, Rejection, parse_snapshots, shown
from ukg_visma.employees.ukg_records import feed_shape
from ukg_visma.employees.visma_payload import MissingEmail, missing_email
from ukg_visma.hooks.ukg import ukg_instant
from ukg_visma.settings import Settings
from ukg_visma.tasks.employee_sync.context import FLOW, SOURCE_CHANGE, SOURCE_EVENT, SyncContext

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ukg_visma.hooks.ukg import UkgHook

log = logging.getLogger(__name__)

INBOX_LIMIT = 100_000
PERSON_FIELDS = ("firstName", "lastName", "emailAddress")


_iso = ukg_instant  # window bounds as UKG's filters take them (microseconds, UTC)


def stamp_seen(snapshots: Iterable[Any], moment: dt.datetime) -> list[Any]:
    """Each object snapshot with ``seenAt`` = ``moment`` (when the sync read it), in the feed's
    names: the feed carries no change stamp, so the read time orders two states of one employee."""
    seen = ukg_instant(moment)
    return [{**feed_shape(s), "seenAt": seen} if isinstance(s, Mapping) else s for s in snapshots]


def _key(snapshot: Any) -> str:
    """Who a raw snapshot is about, even when it is broken (no employeeId, not an object)."""
    if isinstance(snapshot, Mapping) and snapshot.get("employeeId"):
        return str(snapshot["employeeId"])
    return "#" + repr(sorted(snapshot.items()) if isinstance(snapshot, Mapping) else snapshot)


# -- reading UKG ----------------------------------------------------------------------------------
def read_change_feed(
    ukg: UkgHook, start: dt.datetime, end: dt.datetime, pages: list[int] | None = None
) -> list[dict[str, Any]]:
    """Every snapshot the feed returns for ``[start, end]``, all pages, one per employee;
    ``pages`` (if given) receives how many pages were read.

    One feed call (paged): UKG asks for at most 8 a day, so the feed is never re-read here.
    """
    found: dict[str, dict[str, Any]] = {}
    read = 0
    for page in ukg.employee_change_pages(start=start, end=end):
        read += 1
        for snap in page:
            found[_key(snap)] = snap
    if pages is not None:
        pages[:] = [max(read, 1)]  # an empty window is still one page asked for
    return list(found.values())


def feed_verdict(
    engine: Engine, ctx: SyncContext, settings: Settings, now: dt.datetime
) -> FeedVerdict:
    """May this run poll the change feed now (``employees.feed_budget``, from ``feed_calls``)?"""
    sync = settings.employee_sync
    since = now - dt.timedelta(days=1, hours=max(sync.feed_min_hours_apart, 0))
    return decide(
        [c["called_at"] for c in feed_calls.calls_since(engine, since)],
        now,
        trigger=ctx.trigger,
        min_hours_apart=sync.feed_min_hours_apart,
        max_per_day=sync.feed_max_calls_per_day,
    )


def poll_change_feed(
    ukg: UkgHook,
    engine: Engine,
    ctx: SyncContext,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """One feed call, recorded in ``feed_calls`` before it is made (a call whose answer is lost
    still counted at UKG) and completed with its pages after."""
    call_id = feed_calls.start_call(
        engine, called_at=now, run_id=ctx.audit_run_id, window_start=start, window_end=end
    )
    pages: list[int] = []
    found = read_change_feed(ukg, start, end, pages)
    feed_calls.finish_call(engine, call_id, pages=pages[0] if pages else 0, snapshots=len(found))
    log.info("change feed polled: %d snapshot(s), %d page(s)", len(found), pages[0] if pages else 0)
    return found


def _by_id(items: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for item in items:
        record = feed_shape(item)
        if record.get("employeeId"):
            out[str(record["employeeId"])] = dict(record)
    return out


def with_person(snapshot: Any, person: Mapping[str, Any] | None) -> Any:
    """The snapshot with names (when it lacks them) and e-mail from person details."""
    if not isinstance(snapshot, Mapping):
        return snapshot  # not an object: quarantined as it is
    out = dict(snapshot)
    for key in PERSON_FIELDS:
        if person and person.get(key) and not out.get(key):
            out[key] = person[key]
    return out


def read_all_employees(ukg: Any) -> list[dict[str, Any]]:
    """Everyone, from the full employment-details and person-details lists (first run, resync)."""
    people = _by_id(ukg.person_details())
    return [with_person(e, people.get(_key(e))) for e in map(feed_shape, ukg.employment_details())]


def read_employees_by_id(ukg: UkgHook, employee_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Full snapshots of a few employees named by webhook events or held in quarantine: one
    ``employee-changes/{employeeId}`` read each (names and e-mail included), never a feed poll."""
    out: dict[str, dict[str, Any]] = {}
    for employee_id in sorted(set(employee_ids)):
        found = ukg.employee_change(employee_id)
        if found:
            out[employee_id] = dict(found[0])
    return out


def read_employees_by_number(ukg: UkgHook, numbers: Iterable[str]) -> list[dict[str, Any]]:
    """Re-read quarantined snapshots that had no usable employeeId, by employee number."""
    out: list[dict[str, Any]] = []
    for number in sorted(set(numbers)):
        out += [feed_shape(e) for e in ukg.employment_details(employee_number=number)]
    return out


# -- the step -------------------------------------------------------------------------------------
def window_for(
    engine: Engine, ctx: SyncContext, settings: Settings, now: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime]:
    """``(start, end)`` of the polling window; ``start`` None = read everyone (first run or a
    full resync). ``window_start`` (a manual run's param) replaces "watermark minus overlap"."""
    if ctx.full_resync:
        return None, now
    if ctx.window_start is not None:
        return ctx.window_start, now
    mark = state.get_watermark(engine)
    if mark is None:
        return None, now
    return mark - dt.timedelta(minutes=settings.employee_sync.overlap_minutes), now


def _event_ids(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Employee id → the inbox events that named it (non-employee events are left alone)."""
    out: dict[str, list[str]] = {}
    for event in events:
        if str(event["event_type"]).startswith("Employee") and event.get("employee_id"):
            out.setdefault(event["employee_id"], []).append(event["event_id"])
    return out


def _pending_snapshots(engine: Engine) -> list[EmployeeSnapshot]:
    return [EmployeeSnapshot.model_validate(p["snapshot"]) for p in state.list_pending(engine)]


def _rejected_row(rejection: Rejection) -> dict[str, Any]:
    """The audit row of a snapshot that could not be parsed (payload: ``rejected_employees``)."""
    stamp = rejection.raw.get("seenAt") if isinstance(rejection.raw, Mapping) else None
    return {
        "source_key": f"{rejection.key}@{stamp}"[:250],
        "target_kind": "employee",
        "target_key": rejection.label[:250],
        "status": "rejected",
        "error": rejection.message,
        "detail": {"findings": [f.as_dict() for f in rejection.findings], "quarantine": True},
    }


def _quarantine_payload(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The raw snapshot as stored in quarantine: as UKG sent it, without the e-mail address
    (added from person details; the audit store never keeps it — docs/personal-data.md)."""
    return {k: v for k, v in raw.items() if k not in ("emailAddress", "seenAt")}


def _reread_quarantine(ukg: UkgHook, engine: Engine, have: list[Any]) -> list[dict[str, Any]]:
    """Fresh UKG snapshots of everyone in quarantine that this run has not read already."""
    quarantined = state.list_rejections(engine)
    if not quarantined:
        return []
    seen = {_key(s) for s in have}
    numbers = {str(s.get("employeeNumber")) for s in have if isinstance(s, Mapping)}
    ids = {q["employee_id"] for q in quarantined if q["employee_id"]} - seen
    by_number = {
        q["employee_number"]
        for q in quarantined
        if not q["employee_id"] and q["employee_number"] and q["employee_number"] not in numbers
    }
    found = list(read_employees_by_id(ukg, ids).values()) + read_employees_by_number(ukg, by_number)
    log.info("re-read %d quarantined employee(s) from UKG", len(found))
    return found


def _quarantine_missing_email(
    engine: Engine, parsed: list[EmployeeSnapshot]
) -> tuple[list[EmployeeSnapshot], list[Rejection]]:
    """Employees Visma would have to create but UKG has no e-mail for: a finding that names
    each one (quarantined, re-read every run until UKG has the address), never a 400 from
    Visma's ``POST /v1/employee``. Someone Visma already holds (the employee mirror) is updated,
    which needs no e-mail. No fallback address is invented: Visma mails employees at
    ``contact.email``
    (expense claims, approvals) and a shared placeholder would reach the wrong person."""
    in_visma = visma_mirror.numbers(engine)
    keep: list[EmployeeSnapshot] = []
    out: list[Rejection] = []
    for snap in parsed:
        if snap.employeeNumber in in_visma or not missing_email(snap):
            keep.append(snap)
            continue
        finding = Finding(
            "emailAddress",
            shown(snap.model_extra.get("emailAddress") if snap.model_extra else None),
            MissingEmail.RULE,
        )
        out.append(Rejection(snap.employeeId, snap.employeeNumber, (finding,), snap.to_json()))
    return keep, out


def _settle_quarantine(
    engine: Engine, ctx: SyncContext, parsed: list[EmployeeSnapshot], rejected: list[Rejection]
) -> int:
    """Store this run's rejections; release entries whose employee parses now. Returns released."""
    for rejection in rejected:
        log.warning("UKG snapshot %s", rejection.message)
    state.put_rejections(
        engine,
        (
            Rejection(r.employee_id, r.employee_number, r.findings, _quarantine_payload(r.raw))
            for r in rejected
        ),
        ctx.audit_run_id,
    )
    still = {r.key for r in rejected}
    ids = {s.employeeId for s in parsed}
    numbers = {s.employeeNumber for s in parsed}
    done = [
        q["rejection_key"]
        for q in state.list_rejections(engine)
        if q["rejection_key"] not in still
        and (q["employee_id"] in ids or (not q["employee_id"] and q["employee_number"] in numbers))
    ]
    return state.clear_rejections(engine, done)


def _event_row(event: Mapping[str, Any], seen: set[str], missing: set[str]) -> dict[str, Any]:
    """The audit row of one drained webhook event: which employee, and where it was found."""
    employee_id = event.get("employee_id")
    if not employee_id or employee_id in missing:
        status, error = "ignored", "the event names no employee UKG has"
    else:
        status, error = "drained", None
    return {
        "source_key": event["event_id"],
        "target_kind": "employee",
        "target_key": employee_id,
        "status": status,
        "error": error,
        "detail": {
            "event_type": event["event_type"],
            "found_in": "feed" if employee_id in seen else "details" if not error else None,
        },
    }


def _feed_summary(verdict: FeedVerdict | None, now: dt.datetime, engine: Engine) -> dict[str, Any]:
    """The run's feed calls for its report: calls this UTC day (this run's included), the last
    call, whether this run polled, why not and when a poll is allowed again."""
    day = dt.datetime.combine(now.astimezone(dt.UTC).date(), dt.time.min, tzinfo=dt.UTC)
    today = [c["called_at"] for c in feed_calls.calls_since(engine, day) if c["called_at"] <= now]
    last = today[-1] if today else (verdict.last_call if verdict else None)
    return {
        "calls_today": len(today),
        "last_call": _iso(last) if last else None,
        "polled": bool(verdict and verdict.poll),
        "reason": verdict.reason if verdict else "full read of every employee (no feed poll)",
        "next_allowed": verdict.as_dict()["next_allowed"] if verdict and not verdict.poll else None,
    }


def extract(
    ukg: UkgHook,
    engine: Engine,
    ctx: SyncContext,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Drain the inbox, poll UKG, queue what must reach Visma; returns a small summary (XCom)."""
    now = now or dt.datetime.now(dt.UTC)
    start, end = window_for(engine, ctx, settings, now)
    records.start_run(engine, ctx.audit_run_id, FLOW, ctx.scope)
    events = inbox.pending_events(engine, INBOX_LIMIT, type_prefix="Employee")
    wanted = _event_ids(events)

    verdict: FeedVerdict | None = None
    if start is None:
        snapshots = read_all_employees(ukg)
        mode = "full"
    else:
        verdict = feed_verdict(engine, ctx, settings, now)
        if verdict.poll:
            snapshots = poll_change_feed(ukg, engine, ctx, start, end, now)
            mode = "window"
        else:
            # No feed poll (a webhook-started run, or the budget is spent): the employees the
            # events name are read by id below; the watermark stays, so the next polling run's
            # window still covers whatever changed meanwhile without an event.
            log.info("change feed not polled: %s", verdict.reason)
            snapshots = []
            mode = "events"
    seen = {_key(s) for s in snapshots}
    fetched = read_employees_by_id(ukg, set(wanted) - seen)
    snapshots += fetched.values()
    missing = sorted(set(wanted) - seen - set(fetched))
    snapshots += _reread_quarantine(ukg, engine, snapshots)
    snapshots = stamp_seen(snapshots, now)

    parsed, rejected = parse_snapshots(snapshots)
    parsed, without_email = _quarantine_missing_email(engine, parsed)
    rejected += without_email
    released = _settle_quarantine(engine, ctx, parsed, rejected)
    pending_before = _pending_snapshots(engine)
    ids = {s.employeeId for s in parsed} | {p.employeeId for p in pending_before}
    known = {
        k: EmployeeSnapshot.model_validate(v) for k, v in state.get_snapshots(engine, ids).items()
    }
    changes = merge_changes([*pending_before, *parsed], known)
    # A full resync also queues the repeats: step 2 compares them with what Visma holds and
    # repairs any difference (someone edited Visma by hand), still without a call for the rest.
    queue = [c for c in changes if c.applies or (ctx.full_resync and c.kind is ChangeKind.NOOP)]
    queued_ids = {c.employee_id for c in queue}
    skipped = [c for c in changes if c.employee_id not in queued_ids]
    state.add_pending(engine, ((c.current, f"queued by {ctx.run_key}: {c.kind}") for c in queue))
    # A pending entry that a newer known state has overtaken (or now equals) is done.
    state.clear_pending(engine, (c.employee_id for c in skipped))

    rows = [records.change_row(c, "queued") for c in queue]
    rows += [_rejected_row(r) for r in rejected]
    rows += [
        records.change_row(c, "ignored", c.reason)
        if c.kind is ChangeKind.STALE
        else records.change_row(c, "noop")
        for c in skipped
    ]
    records.upsert_records(engine, ctx.audit_run_id, FLOW, SOURCE_CHANGE, rows)
    employee_events = [e for e in events if str(e["event_type"]).startswith("Employee")]
    records.upsert_records(
        engine,
        ctx.audit_run_id,
        FLOW,
        SOURCE_EVENT,
        [_event_row(e, seen, set(missing)) for e in employee_events],
    )
    drained = [e["event_id"] for e in employee_events]
    inbox.mark_processed(engine, drained, ctx.audit_run_id)
    kinds: dict[str, int] = {}
    for change in changes:
        kinds[str(change.kind)] = kinds.get(str(change.kind), 0) + 1
    polled = mode != "events"
    summary = {
        "mode": mode,
        "trigger": ctx.trigger,
        "window_start": _iso(start) if start else None,
        "window_end": _iso(end),
        # Only a run that read the whole window (feed poll or full read) moves the watermark;
        # until then UKG's changes are proven read up to ``covered_until`` (the watermark).
        "moves_watermark": polled,
        "covered_until": None if polled else _iso(state.get_watermark(engine) or start or end),
        "feed": _feed_summary(verdict, now, engine),
        "events": len(drained),
        "event_only_employees": len(fetched),
        "missing_in_ukg": missing,
        "snapshots": len(parsed),
        "kinds": kinds,
        "queued": len(queue),
        "noop": sum(1 for c in skipped if c.kind is ChangeKind.NOOP),
        "stale": sum(1 for c in skipped if c.kind is ChangeKind.STALE),
        "quarantined": sorted(r.label for r in rejected),
        "released_from_quarantine": released,
    }
    from ukg_visma.log_text import sync_extract_text

    log.info("%s", sync_extract_text(summary))
    return summary
