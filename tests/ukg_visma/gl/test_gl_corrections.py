"""What a pay period still needs, judged from what Visma holds: the planner against a tiny Visma.

The Visma here is a list of listing rows. A planned :class:`Journal` becomes a row through the
exact POST body (:func:`to_visma_payload`, sent as JSON) with a fresh batch number, line numbers
and status ``Posted``, in the read-back shapes (subaccount object, project ``{"id": "X"}``,
amounts as JSON numbers); the listing may cut a batch's lines over several pages. So every test
goes round the loop planner → payload → listing → :func:`held_batches` → planner, and judges
the result from the rows, the way the design judges a run from Visma's state.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ukg_visma.gl.corrections import VoidedRun, plan_postings, reversal_journal
from ukg_visma.gl.holdings import HeldBatch, LineKey, held_batches, net_by_line
from ukg_visma.gl.journal import Journal, JournalKey, JournalLine, run_version, to_visma_payload
from ukg_visma.gl.reconcile import reconcile_held
from ukg_visma.gl.split import split_balanced
from ukg_visma.money import dumps
from ukg_visma.settings import load_settings

SETTINGS = load_settings()
TENANT = SETTINGS.company.tenant
PERIOD = "2026-10"
PAY_DATE = dt.date(2026, 10, 23)
R1, C1 = ("NMF", "NMF-202610-R1"), ("NMF", "NMF-202610-C1")
S10, S20, S00 = ((1, "10"), (2, "110")), ((1, "20"), (2, "220")), ((1, "00"), (2, "000"))
WAGES, WAGES_20 = ("5000", S10, "", ""), ("5000", S20, "", "")
PROJECT = ("5000", S20, "PRJ1001", "T1")
TAX, NET = ("2600", S00, "", ""), ("2930", S00, "", "")

Gross = Sequence[tuple[LineKey, str, int]]  # (line key, "D"/"C", øre) as UKG's mapped lines


def version(n: int) -> str:
    stamp = dt.datetime(2026, 10, 19, 15, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
    return run_version(stamp.isoformat())


def aggregate(lines: Gross) -> dict[tuple[LineKey, str], int]:
    out: Counter = Counter()
    for key, side, amount in lines:
        out[(key, side)] += amount
    return {k: v for k, v in out.items() if v}


def full_journals(run: tuple[str, str], ver: str, lines: Gross, *, limit: int) -> list[Journal]:
    """UKG version ``ver`` of ``run`` as full journals, split as the transform splits them."""
    company, pay_run = run
    agg = sorted(aggregate(lines).items())
    debits = [(item, a) for item, a in agg if item[1] == "D"]
    credits = [(item, a) for item, a in agg if item[1] == "C"]
    if not agg:
        return []
    chunks = split_balanced(debits, credits, limit)
    out = []
    for index, chunk in enumerate(chunks):
        placed = sorted((p.item, p.amount) for p in chunk)
        out.append(
            Journal(
                key=JournalKey(
                    tenant=TENANT,
                    company=company,
                    pay_run=pay_run,
                    run_version=ver,
                    split_index=index,
                ),
                company=company,
                pay_run=pay_run,
                pay_groups=("NO-M",),
                pay_date=PAY_DATE,
                gl_run_datetime=ver,
                part=index + 1,
                parts=len(chunks),
                lines=tuple(
                    JournalLine(
                        line_number=n,
                        account=key[0],
                        segments=key[1],
                        project=key[2],
                        task=key[3],
                        side=side,
                        amount_ore=amount,
                    )
                    for n, ((key, side), amount) in enumerate(placed, start=1)
                ),
            )
        )
    return out


def target_net(lines: Gross) -> dict[LineKey, int]:
    net: Counter = Counter()
    for key, side, amount in lines:
        net[key] += amount if side == "D" else -amount
    return {k: v for k, v in net.items() if v}


class Visma:
    """Visma's journal transactions of the period, as the listing returns them."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = [
            # somebody else's batches in the period: never ours
            {
                "batchNumber": "000900",
                "status": "Posted",
                "description": "Manual accrual October",
                "financialPeriod": "202610",
                "transactionDate": "2026-10-31T00:00:00",
                "journalTransactionLines": [
                    self._foreign_line(1, "5000", 1000, 0),
                    self._foreign_line(2, "2930", 0, 1000),
                ],
            },
            {
                "batchNumber": "000901",
                "status": "Posted",
                "description": "Payroll key=othertenant:NMF:NMF-202610-R1:20261019T150000Z:0",
                "financialPeriod": "202610",
                "transactionDate": "2026-10-23T00:00:00",
                "journalTransactionLines": [self._foreign_line(1, "5000", 77, 0)],
            },
        ]
        self.created: list[Journal] = []

    @staticmethod
    def _foreign_line(n: int, account: str, debit: int, credit: int) -> dict[str, Any]:
        return {
            "lineNumber": n,
            "accountNumber": account,
            "subaccount": {"subaccountNumber": "10-110", "segments": []},
            "project": {"id": "X"},
            "debitAmountInCurrency": debit,
            "creditAmountInCurrency": credit,
            "referenceNumber": "",
        }

    def post(self, journal: Journal) -> str:
        """Create the batch from the exact POST body; its number, like Visma's, is new."""
        assert journal.balanced, journal.journal_key
        assert journal.lines, f"{journal.journal_key}: a batch without lines (Visma refuses it)"
        body = json.loads(dumps(to_visma_payload(journal, SETTINGS, PERIOD)))  # as on the wire
        number = f"{len(self.rows) + 1:06d}"
        lines = []
        for n, sent in enumerate(body["journalTransactionLines"], start=1):
            assert "lineNumber" not in sent
            segments = sent["subaccount"]
            project = (sent.get("project") or {}).get("value")
            task = (sent.get("projectTask") or {}).get("value")
            lines.append(
                {
                    "lineNumber": n,
                    "accountNumber": sent["accountNumber"]["value"],
                    "subaccount": {
                        "subaccountNumber": "-".join(s["segmentValue"] for s in segments),
                        "active": True,
                        "segments": segments,
                    },
                    "project": {"internalId": 0, "id": project or "X"},
                    "projectTask": {"id": task} if task else None,
                    "debitAmountInCurrency": sent["debitAmountInCurrency"]["value"],
                    "creditAmountInCurrency": sent["creditAmountInCurrency"]["value"],
                    "transactionDescription": sent["transactionDescription"]["value"],
                    "referenceNumber": sent["referenceNumber"]["value"],
                }
            )
        self.rows.append(
            {
                "batchNumber": number,
                "status": "Posted",
                "description": body["description"]["value"],
                "financialPeriod": body["financialPeriod"]["value"],
                "postPeriod": body["postPeriod"]["value"],
                "transactionDate": body["transactionDate"]["value"],
                "journalTransactionLines": lines,
            }
        )
        self.created.append(journal)
        return number

    def void(self, number: str) -> None:
        (row,) = [r for r in self.rows if r["batchNumber"] == number]
        row["status"] = "Voided"

    def listing(self, page_lines: int | None = None) -> list[dict[str, Any]]:
        """Every page of the period listing; a page holds at most ``page_lines`` lines."""
        if not page_lines:
            return [dict(r) for r in self.rows]
        out = []
        for r in self.rows:
            lines = r["journalTransactionLines"]
            for start in range(0, max(len(lines), 1), page_lines):
                out.append({**r, "journalTransactionLines": lines[start : start + page_lines]})
        return out

    def held(self, page_lines: int | None = None) -> list[HeldBatch]:
        return held_batches(self.listing(page_lines), tenant=TENANT)


def run_net(held: Iterable[HeldBatch], run: tuple[str, str]) -> dict[LineKey, int]:
    return net_by_line([b for b in held if b.run == run])


def live_keys(held: Iterable[HeldBatch]) -> Counter:
    return Counter(b.journal_key for b in held if b.live)


def mapped_frame(latest: dict[tuple[str, str], Gross]) -> pd.DataFrame | None:
    """The latest versions' mapped lines in the transform's columns (for reconcile_held)."""
    rows = [
        {
            "company": run[0],
            "run_id": run[1],
            "visma_account": key[0],
            "seg_1": key[1][0][1],
            "seg_2": key[1][1][1],
            "visma_project": key[2],
            "visma_task": key[3],
            "side": side,
            "amount_ore": amount,
        }
        for run, lines in latest.items()
        for key, side, amount in lines
    ]
    return pd.DataFrame(rows) if rows else None


def post_all(visma: Visma, journals: Iterable[Journal]) -> list[str]:
    return [visma.post(j) for j in journals]


# October for run R1: wages on two cost centres, one on a project; tax and net pay credited
OCTOBER: Gross = [
    (WAGES, "D", 4125000),
    (WAGES_20, "D", 2000000),
    (PROJECT, "D", 3000000),
    (TAX, "C", 2737500),
    (NET, "C", 6387500),
]
# the same run regenerated: 150.00 more wages on 10-110, paid out net; the project line moved
OCTOBER_V2: Gross = [
    (WAGES, "D", 4140000),
    (WAGES_20, "D", 5000000),
    (TAX, "C", 2737500),
    (NET, "C", 6402500),
]


# ---------------------------------------------------------------------------------------------
# one outcome at a time


def test_new_run_posts_the_version_in_full_and_then_nothing():
    visma = Visma()
    journals = full_journals(R1, version(1), OCTOBER, limit=3)
    assert len(journals) > 1
    plan = plan_postings(journals, visma.held(), line_limit=3)
    (r,) = plan.runs
    assert (r.outcome, r.version, r.held) == ("new", version(1), ())
    assert plan.journals == tuple(journals)
    post_all(visma, plan.journals)
    held = visma.held(page_lines=2)
    assert run_net(held, R1) == target_net(OCTOBER)
    again = plan_postings(journals, held, line_limit=3)
    assert again.runs[0].outcome == "posted" and again.journals == ()
    assert "already in Visma" in again.runs[0].message
    assert reconcile_held(mapped_frame({R1: OCTOBER}), held, runs=[R1]).ok


def test_an_interrupted_posting_resumes_with_the_missing_journals_only():
    visma = Visma()
    journals = full_journals(R1, version(1), OCTOBER, limit=2)
    assert len(journals) >= 3
    post_all(visma, journals[:1])
    plan = plan_postings(journals, visma.held(page_lines=1), line_limit=2)
    (r,) = plan.runs
    assert r.outcome == "resume"
    assert [j.journal_key for j in plan.journals] == [j.journal_key for j in journals[1:]]
    post_all(visma, plan.journals[:1])  # interrupted again
    plan = plan_postings(journals, visma.held(), line_limit=2)
    assert plan.runs[0].outcome == "resume"
    assert [j.journal_key for j in plan.journals] == [j.journal_key for j in journals[2:]]
    post_all(visma, plan.journals)
    held = visma.held()
    assert run_net(held, R1) == target_net(OCTOBER)
    assert max(live_keys(held).values()) == 1
    assert plan_postings(journals, held, line_limit=2).runs[0].outcome == "posted"


def test_an_unchanged_reexport_posts_nothing():
    visma = Visma()
    post_all(visma, full_journals(R1, version(1), OCTOBER, limit=4))
    again = full_journals(R1, version(2), list(reversed(OCTOBER)), limit=4)
    plan = plan_postings(again, visma.held(), line_limit=4)
    (r,) = plan.runs
    assert (r.outcome, r.version, plan.journals) == ("unchanged", version(2), ())
    assert "re-export unchanged" in r.message
    # with the other mode as well: an unchanged version is never reversed and reposted
    plan = plan_postings(again, visma.held(), mode="reverse_and_repost", line_limit=4)
    assert plan.runs[0].outcome == "unchanged" and plan.journals == ()


def test_a_changed_version_posts_exactly_the_difference_as_an_adjustment():
    visma = Visma()
    post_all(visma, full_journals(R1, version(1), OCTOBER, limit=1000))
    journals = full_journals(R1, version(2), OCTOBER_V2, limit=1000)
    plan = plan_postings(journals, visma.held(), line_limit=1000)
    (r,) = plan.runs
    assert r.outcome == "adjust"
    (adj,) = plan.journals
    assert adj.kind == "adjustment" and adj.balanced
    assert adj.journal_key == f"{TENANT}:NMF:NMF-202610-R1:{version(2)}-ADJ1:0"
    assert [(ln.account, ln.segments, ln.project, ln.task, ln.side, ln.amount_ore)
            for ln in adj.lines] == [
        ("2930", S00, "", "", "C", 15000),
        ("5000", S10, "", "", "D", 15000),
        ("5000", S20, "", "", "D", 3000000),
        ("5000", S20, "PRJ1001", "T1", "C", 3000000),
    ]  # fmt: skip
    assert [ln.line_number for ln in adj.lines] == [1, 2, 3, 4]
    post_all(visma, plan.journals)
    held = visma.held(page_lines=3)
    assert run_net(held, R1) == target_net(OCTOBER_V2)
    again = plan_postings(journals, held, line_limit=1000)
    assert again.journals == () and again.runs[0].outcome == "unchanged"
    assert reconcile_held(mapped_frame({R1: OCTOBER_V2}), held, runs=[R1]).ok


def test_an_adjustment_over_the_line_limit_is_split_into_balanced_journals():
    visma = Visma()
    post_all(visma, full_journals(R1, version(1), OCTOBER, limit=2))
    journals = full_journals(R1, version(2), OCTOBER_V2, limit=2)
    plan = plan_postings(journals, visma.held(), line_limit=2)
    assert plan.runs[0].outcome == "adjust" and len(plan.journals) > 1
    assert [j.key.split_index for j in plan.journals] == list(range(len(plan.journals)))
    for j in plan.journals:
        assert j.balanced and 1 <= len(j.lines) <= 2
        assert j.key.run_version == f"{version(2)}-ADJ1"
    post_all(visma, plan.journals)
    assert run_net(visma.held(), R1) == target_net(OCTOBER_V2)


def test_adjustment_numbers_continue_after_adj1():
    visma = Visma()
    post_all(visma, full_journals(R1, version(1), OCTOBER, limit=1000))
    v2 = full_journals(R1, version(2), OCTOBER_V2, limit=1000)
    post_all(visma, plan_postings(v2, visma.held()).journals)
    v3_lines = [*OCTOBER_V2, (WAGES, "D", 100), (NET, "C", 100)]
    v3 = full_journals(R1, version(3), v3_lines, limit=1000)
    plan = plan_postings(v3, visma.held())
    (adj,) = plan.journals
    assert adj.key.run_version == f"{version(3)}-ADJ2"
    assert [(ln.account, ln.side, ln.amount_ore) for ln in adj.lines] == [
        ("2930", "C", 100),
        ("5000", "D", 100),
    ]
    post_all(visma, plan.journals)
    assert run_net(visma.held(), R1) == target_net(v3_lines)


def test_a_voided_adjustment_does_not_count_and_its_number_is_not_reused():
    visma = Visma()
    post_all(visma, full_journals(R1, version(1), OCTOBER, limit=1000))
    v2 = full_journals(R1, version(2), OCTOBER_V2, limit=1000)
    (adj1,) = post_all(visma, plan_postings(v2, visma.held()).journals)
    visma.void(adj1)  # a controller voided the adjustment batch in Visma
    held = visma.held()
    assert run_net(held, R1) == target_net(OCTOBER)
    plan = plan_postings(v2, held)
    assert plan.runs[0].outcome == "adjust"
    (adj,) = plan.journals
    assert adj.key.run_version == f"{version(2)}-ADJ2"
    first = next(j for j in visma.created if j.key.run_version.endswith("-ADJ1"))
    assert [ln.model_dump() for ln in adj.lines] == [ln.model_dump() for ln in first.lines]
    post_all(visma, plan.journals)
    held = visma.held()
    assert run_net(held, R1) == target_net(OCTOBER_V2)
    report = reconcile_held(mapped_frame({R1: OCTOBER_V2}), held, runs=[R1])
    assert report.ok and report.voided == {first.journal_key: (adj1,)}


def test_reverse_and_repost_reverses_every_earlier_batch_and_posts_the_version_in_full():
    visma = Visma()
    originals = post_all(visma, full_journals(R1, version(1), OCTOBER, limit=3))
    assert len(originals) == 2
    journals = full_journals(R1, version(2), OCTOBER_V2, limit=3)
    plan = plan_postings(journals, visma.held(), mode="reverse_and_repost", line_limit=3)
    (r,) = plan.runs
    assert r.outcome == "repost"
    reversals = [j for j in plan.journals if j.kind == "reversal"]
    assert [j.reverses for j in reversals] == originals
    assert [j.key.run_version for j in reversals] == [f"REV-{n}" for n in originals]
    assert [j.journal_key for j in plan.journals if j.kind == "full"] == [
        j.journal_key for j in journals
    ]
    held_before = {b.number: b for b in visma.held()}
    for j in reversals:  # sides swapped, same dimensions
        original = net_by_line([held_before[j.reverses]])
        swapped = {(ln.account, ln.segments, ln.project, ln.task): ln.credit_ore - ln.debit_ore
                   for ln in j.lines}  # fmt: skip
        assert swapped == original
    post_all(visma, plan.journals)
    held = visma.held(page_lines=2)
    assert run_net(held, R1) == target_net(OCTOBER_V2)
    again = plan_postings(journals, held, mode="reverse_and_repost", line_limit=3)
    assert again.runs[0].outcome == "posted" and again.journals == ()
    assert reconcile_held(mapped_frame({R1: OCTOBER_V2}), held, runs=[R1]).ok


def test_a_voided_run_is_reversed_once():
    visma = Visma()
    numbers = post_all(visma, full_journals(R1, version(1), OCTOBER, limit=3))
    void = VoidedRun("NMF", "NMF-202610-R1", ("NO-M",))
    plan = plan_postings([], visma.held(), voided=[void], line_limit=3)
    (r,) = plan.runs
    assert (r.outcome, r.version) == ("void", None)
    assert [j.reverses for j in plan.journals] == numbers
    assert all(j.kind == "reversal" and j.balanced for j in plan.journals)
    post_all(visma, plan.journals[:1])  # interrupted: one reversal in Visma
    plan = plan_postings([], visma.held(), voided=[void], line_limit=3)
    assert [j.reverses for j in plan.journals] == numbers[1:]
    post_all(visma, plan.journals)
    held = visma.held()
    assert run_net(held, R1) == {}
    again = plan_postings([], held, voided=[void], line_limit=3)
    assert again.runs[0].outcome == "voided" and again.journals == ()
    assert reconcile_held(None, held, runs=[R1]).ok


def test_a_run_not_planned_is_out_of_scope_and_left_alone():
    visma = Visma()
    post_all(visma, full_journals(R1, version(1), OCTOBER, limit=1000))
    # only C1 is planned (R1 is neither exported again nor voided): R1's batches stay as they are
    c1 = full_journals(C1, version(1), OCTOBER, limit=1000)
    held = visma.held()
    plan = plan_postings(c1, held)
    assert plan.out_of_scope == tuple(b for b in held if b.run == R1)
    assert {r.run: r.outcome for r in plan.runs} == {C1: "new"}


def test_duplicate_batches_for_one_key_stop_the_period_and_are_named():
    visma = Visma()
    journals = full_journals(R1, version(1), OCTOBER, limit=1000)
    first = post_all(visma, journals)
    second = post_all(visma, journals)  # a lost response, posted again by a broken retry
    c1 = full_journals(C1, version(1), OCTOBER, limit=1000)
    v2 = full_journals(R1, version(2), OCTOBER_V2, limit=1000)
    for mode in ("delta", "reverse_and_repost"):
        plan = plan_postings([*v2, *c1], visma.held(), mode=mode)
        assert plan.journals == ()  # nothing at all, not even the new run C1
        assert plan.duplicates == {journals[0].journal_key: (*first, *second)}
        text = plan.to_markdown()
        assert journals[0].journal_key in text and first[0] in text and second[0] in text
    visma.void(second[0])  # the controller voids the extra batch
    plan = plan_postings([*v2, *c1], visma.held())
    assert plan.duplicates == {}
    assert {r.run: r.outcome for r in plan.runs} == {R1: "adjust", C1: "new"}


def test_two_runs_are_planned_independently():
    visma = Visma()
    post_all(visma, full_journals(R1, version(1), OCTOBER, limit=1000))
    r1 = full_journals(R1, version(2), OCTOBER_V2, limit=1000)
    c1 = full_journals(C1, version(5), OCTOBER, limit=1000)
    plan = plan_postings([*c1, *r1], visma.held())
    assert {r.run: r.outcome for r in plan.runs} == {R1: "adjust", C1: "new"}
    post_all(visma, plan.journals)
    held = visma.held()
    assert run_net(held, R1) == target_net(OCTOBER_V2)
    assert run_net(held, C1) == target_net(OCTOBER)
    assert reconcile_held(mapped_frame({R1: OCTOBER_V2, C1: OCTOBER}), held, runs=[R1, C1]).ok


def test_a_changed_mapping_under_the_same_version_is_adjusted_not_posted_again():
    """Same glRunDateTime, different lines (a mapping changed): V:0 is held, so never again."""
    visma = Visma()
    post_all(visma, full_journals(R1, version(1), OCTOBER, limit=1000))
    remapped = full_journals(R1, version(1), OCTOBER_V2, limit=1000)
    plan = plan_postings(remapped, visma.held())
    assert plan.runs[0].outcome == "adjust"
    assert {j.journal_key for j in plan.journals}.isdisjoint(live_keys(visma.held()))
    post_all(visma, plan.journals)
    assert run_net(visma.held(), R1) == target_net(OCTOBER_V2)


def test_a_key_held_by_a_live_batch_is_never_planned_again():
    visma = Visma()
    journals = full_journals(R1, version(1), OCTOBER, limit=2)
    post_all(visma, journals)
    held = visma.held()
    keys = live_keys(held)
    for mode in ("delta", "reverse_and_repost"):
        for ukg in (
            journals,
            journals[::-1],
            journals[1:],
            full_journals(R1, version(1), OCTOBER_V2, limit=2),
        ):
            plan = plan_postings(ukg, held, mode=mode, line_limit=2)
            assert not {j.journal_key for j in plan.journals} & set(keys), (mode, plan.runs)
    # a reversal of an already reversed batch is never planned again either
    post_all(visma, plan_postings([], held, voided=[VoidedRun(*R1)]).journals)
    held = visma.held()
    plan = plan_postings(journals, held, mode="reverse_and_repost", line_limit=2)
    assert not {j.journal_key for j in plan.journals} & set(live_keys(held))


def test_the_reversal_key_depends_only_on_the_batch():
    visma = Visma()
    (number,) = post_all(visma, full_journals(R1, version(1), OCTOBER, limit=1000))
    (batch,) = visma.held()
    one = reversal_journal(batch, note="superseded")
    two = reversal_journal(batch, pay_groups=("NO-M",), note="run voided in UKG")
    assert one.journal_key == two.journal_key == f"{TENANT}:NMF:NMF-202610-R1:REV-{number}:0"
    assert one.pay_date == PAY_DATE and one.visma_period == "202610"
    assert one.balanced and one.debit_ore == batch.debit_ore


def test_a_batch_that_nets_to_zero_is_still_reversed_line_by_line():
    """A reclass within one cost centre (5000 10-110 debited and credited): with line limit 2
    the first journal is exactly that pair; its reversal still has lines Visma accepts."""
    visma = Visma()
    reclass = [(WAGES, "D", 10000), (WAGES, "C", 10000)]
    lines = [*reclass, (WAGES_20, "D", 500), (("5400", S10, "", ""), "C", 500)]
    journals = full_journals(R1, version(1), lines, limit=2)
    assert sorted((ln.account, ln.segments, ln.side) for ln in journals[0].lines) == [
        ("5000", S10, "C"),
        ("5000", S10, "D"),
    ]
    numbers = post_all(visma, journals)
    plan = plan_postings([], visma.held(), voided=[VoidedRun(*R1, ("NO-M",))], line_limit=2)
    assert [j.reverses for j in plan.journals] == numbers
    assert all(len(j.lines) == 2 and j.balanced for j in plan.journals)
    post_all(visma, plan.journals)
    assert run_net(visma.held(), R1) == {}


# ---------------------------------------------------------------------------------------------
# the property: whatever UKG, Visma's controllers and crashes do, Visma ends up holding UKG

ACCOUNTS = ["5000", "5020", "5400", "2600", "2770"]
SEGMENTS = [S10, ((1, "10"), (2, "210")), S20]
PROJECTS = [("", ""), ("", ""), ("PRJ1001", ""), ("PRJ1001", "T1"), ("PRJ1002", "T2")]
RUNS = [R1, C1]


@st.composite
def gross_lines(draw, base: Gross = ()) -> list[tuple[LineKey, str, int]]:
    """``base`` with some lines dropped and some added, balanced again on 2930."""
    kept = [ln for ln in base if ln[0] != NET and draw(st.booleans())] if base else []
    for _ in range(draw(st.integers(0 if kept else 1, 4))):
        project, task = draw(st.sampled_from(PROJECTS))
        key = (draw(st.sampled_from(ACCOUNTS)), draw(st.sampled_from(SEGMENTS)), project, task)
        side = draw(st.sampled_from("DDC"))
        kept.append((key, side, draw(st.integers(1, 10**7))))
    balance = sum(a if s == "D" else -a for _, s, a in kept)
    if balance:
        kept.append((NET, "C" if balance > 0 else "D", abs(balance)))
    return kept


@st.composite
def zero_lines(draw) -> list[tuple[LineKey, str, int]]:
    """A version that nets to nothing: no lines at all (the transform builds no journal), or
    reclasses debited and credited on the same line key (journals whose every key nets to 0)."""
    out: list[tuple[LineKey, str, int]] = []
    for _ in range(draw(st.integers(0, 2))):
        project, task = draw(st.sampled_from(PROJECTS))
        key = (draw(st.sampled_from(ACCOUNTS)), draw(st.sampled_from(SEGMENTS)), project, task)
        amount = draw(st.integers(1, 10**7))
        out += [(key, "D", amount), (key, "C", amount)]
    return out


class Ukg:
    """The latest GL version of each pay run (or voided)."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, str], Gross] = {}
        self.version: dict[tuple[str, str], str] = {}
        self.voided: set[tuple[str, str]] = set()
        self.stamp = 0

    def export(self, run: tuple[str, str], lines: Gross) -> None:
        """A new GL version (a new glRunDateTime) of ``run``."""
        self.stamp += 1
        self.lines[run], self.version[run] = lines, version(self.stamp)
        self.voided.discard(run)

    def remap(self, run: tuple[str, str], lines: Gross) -> None:
        """A mapping changed: the latest version's lines change, its glRunDateTime stays."""
        self.lines[run] = lines

    def journals(self, limit: int) -> list[Journal]:
        return [
            j
            for run in self.runs()
            for j in full_journals(run, self.version[run], self.lines[run], limit=limit)
        ]

    def runs(self) -> list[tuple[str, str]]:
        """Every live run UKG exported, also one whose latest version builds no journal."""
        return [run for run in sorted(self.lines) if run not in self.voided]

    def voids(self) -> list[VoidedRun]:
        return [VoidedRun(*run, ("NO-M",)) for run in sorted(self.voided)]

    def latest(self) -> dict[tuple[str, str], Gross]:
        return {r: lines for r, lines in self.lines.items() if r not in self.voided}


def plan_for(ukg: Ukg, held: Sequence[HeldBatch], *, mode: str, limit: int):
    return plan_postings(
        ukg.journals(limit),
        held,
        voided=ukg.voids(),
        mode=mode,  # type: ignore[arg-type]
        line_limit=limit,
        runs=ukg.runs(),
    )


def dag_run(visma: Visma, ukg: Ukg, *, mode: str, limit: int, page_lines: int | None, stop=None):
    """List the period, plan, post; ``stop(n)`` (a crash) says how many of the n get posted."""
    held = visma.held(page_lines)
    plan = plan_for(ukg, held, mode=mode, limit=limit)
    assert plan.duplicates == {}
    keys = [j.journal_key for j in plan.journals]
    assert len(set(keys)) == len(keys), keys
    assert not set(keys) & set(live_keys(held)), "a key held by a live batch was planned again"
    for j in plan.journals:
        assert j.balanced, j.journal_key
        if j.kind != "reversal":
            assert len(j.lines) <= limit, j.journal_key
    todo = plan.journals if stop is None or not plan.journals else plan.journals[: stop(len(keys))]
    post_all(visma, todo)
    return plan


def check_visma_holds_ukg(visma: Visma, ukg: Ukg, plan, *, limit: int) -> None:
    held = visma.held(page_lines=3)
    for run in RUNS:
        want = {} if run in ukg.voided or run not in ukg.lines else target_net(ukg.lines[run])
        assert run_net(held, run) == want, (run, plan.to_markdown())
    assert max(live_keys(held).values(), default=1) == 1, live_keys(held)
    for mode in ("delta", "reverse_and_repost"):  # whichever mode the next DAG run has
        again = plan_for(ukg, held, mode=mode, limit=limit)
        assert again.journals == (), again.to_markdown()
    scope = [r for r in RUNS if r in ukg.lines]
    expected = [j.journal_key for j in plan.journals]
    report = reconcile_held(mapped_frame(ukg.latest()), held, runs=scope, expected_keys=expected)
    assert report.ok, report.to_markdown()


# Size and deadline come from the hypothesis profile (tests/conftest.py).
PROPERTY = settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MODES = ["delta", "reverse_and_repost"]
OPERATIONS = ["export", "export", "same", "remap", "remap", "zero", "void", "visma_void"]


@PROPERTY
@given(st.data())
def test_visma_ends_up_holding_the_latest_version_of_every_run(data):
    """UKG re-exports (changed, unchanged, netting to nothing), re-maps a version in place and
    voids; a controller voids any live batch of ours by hand (an original a live reversal
    undoes, a reversal); the line limit and the correction mode change between DAG runs; a
    DAG run may crash after any prefix of its plan, before or after any of that. After every
    completed DAG run Visma holds exactly UKG's latest version of every run."""
    draw = data.draw
    visma, ukg = Visma(), Ukg()
    limit = draw(st.integers(2, 6), label="line_limit")
    runs = draw(st.sampled_from([[R1], RUNS]), label="runs")

    def dag(*, crash: bool) -> None:
        nonlocal limit
        if draw(st.booleans(), label="line_limit changes"):
            limit = draw(st.integers(2, 6), label="line_limit")
        mode = draw(st.sampled_from(MODES), label="mode")
        page_lines = draw(st.sampled_from([None, 1, 2, 5]), label="page lines")
        stop = (lambda n: draw(st.integers(0, n - 1), label="crash after")) if crash else None
        plan = dag_run(visma, ukg, mode=mode, limit=limit, page_lines=page_lines, stop=stop)
        if not crash:
            check_visma_holds_ukg(visma, ukg, plan, limit=limit)

    for _ in range(draw(st.integers(1, 8), label="operations")):
        run = draw(st.sampled_from(runs), label="run")
        op = draw(st.sampled_from(OPERATIONS), label="op")
        if run in ukg.voided and op != "visma_void":
            op = "void"  # UKG refuses to re-export a voided run (409)
        if op in ("same", "remap") and run not in ukg.lines:
            op = "export"
        if op == "export":
            ukg.export(run, draw(gross_lines(ukg.lines.get(run, ())), label="lines"))
        elif op == "same":  # UKG regenerated the run without changing a line
            ukg.export(run, list(ukg.lines[run]))
        elif op == "remap":  # same version, different lines (possibly netting to nothing)
            lines = draw(st.one_of(gross_lines(ukg.lines[run]), zero_lines()), label="lines")
            ukg.remap(run, lines)
        elif op == "zero":  # a re-export whose latest version nets to nothing
            ukg.export(run, draw(zero_lines(), label="lines"))
        elif op == "void":
            if run in ukg.lines:
                ukg.voided.add(run)
        else:  # a controller voids any live batch of ours in Visma by hand
            live = [b.number for b in visma.held() if b.live]
            if live:
                visma.void(draw(st.sampled_from(live), label="controller voids"))
        while draw(st.booleans(), label="crashed DAG run"):
            dag(crash=True)
        if draw(st.booleans(), label="completed DAG run"):
            dag(crash=False)
    dag(crash=False)


# Found by the property search and fixed in corrections._plan_run: the same version re-cut by a
# mapping or line-limit change, and a reversal whose original a controller voided by hand.
def test_repost_mode_with_changed_lines_under_the_same_version_ends_at_the_new_content():
    visma = Visma()
    post_all(visma, full_journals(R1, version(1), OCTOBER, limit=1000))
    remapped = full_journals(R1, version(1), OCTOBER_V2, limit=1000)
    plan = plan_postings(remapped, visma.held(), mode="reverse_and_repost")
    post_all(visma, plan.journals)
    assert run_net(visma.held(), R1) == target_net(OCTOBER_V2), plan.to_markdown()


def test_resume_after_a_line_limit_change_does_not_post_parts_of_another_split():
    visma = Visma()
    post_all(visma, full_journals(R1, version(1), OCTOBER, limit=2)[:1])  # crashed after 1 journal
    journals = full_journals(R1, version(1), OCTOBER, limit=3)  # line_limit changed, run again
    plan = plan_postings(journals, visma.held(), line_limit=3)
    post_all(visma, plan.journals)
    assert run_net(visma.held(), R1) == target_net(OCTOBER), plan.to_markdown()


def test_resume_after_a_mapping_change_ends_at_the_new_content():
    visma = Visma()
    post_all(visma, full_journals(R1, version(1), OCTOBER, limit=2)[:2])  # crashed after 2 of 4
    remapped = full_journals(R1, version(1), OCTOBER_V2, limit=2)  # same glRunDateTime, remapped
    plan = plan_postings(remapped, visma.held(), line_limit=2)
    post_all(visma, plan.journals)
    assert run_net(visma.held(), R1) == target_net(OCTOBER_V2), plan.to_markdown()


def test_a_reversal_whose_original_was_voided_by_hand_is_undone():
    visma = Visma()
    (original,) = post_all(visma, full_journals(R1, version(1), OCTOBER, limit=1000))
    void = VoidedRun(*R1, ("NO-M",))
    post_all(visma, plan_postings([], visma.held(), voided=[void]).journals)
    visma.void(original)  # the controller also voids the original batch (it was still unreleased)
    plan = plan_postings([], visma.held(), voided=[void])
    post_all(visma, plan.journals)
    assert run_net(visma.held(), R1) == {}, plan.to_markdown()
    assert plan_postings([], visma.held(), voided=[void]).journals == ()


def test_repost_mode_after_a_remap_to_nothing_is_reverted_ends_at_the_version():
    """FAILS (not fixed yet): a mapping change makes the version net to nothing (its batch is
    reversed), then the mapping change is reverted under the same version. The held full batch
    matches the journal again (own_match), its live reversal is left out of the reversals
    (its original is live), and no key is missing: ``repost`` creates nothing, Visma nets 0."""
    visma = Visma()
    post_all(visma, full_journals(R1, version(1), OCTOBER, limit=1000))
    remapped_to_nothing = plan_postings([], visma.held(), mode="reverse_and_repost", runs=[R1])
    post_all(visma, remapped_to_nothing.journals)  # the reversal of the full batch
    assert run_net(visma.held(), R1) == {}
    reverted = full_journals(R1, version(1), OCTOBER, limit=1000)  # same glRunDateTime
    plan = plan_postings(reverted, visma.held(), mode="reverse_and_repost", runs=[R1])
    post_all(visma, plan.journals)
    assert run_net(visma.held(), R1) == target_net(OCTOBER), plan.to_markdown()
