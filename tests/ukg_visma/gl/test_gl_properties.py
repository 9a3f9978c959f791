"""Property-based tests of the transform: for any GL export, journals balance, totals are kept,
every source øre lands exactly once, and the result does not depend on the order of the lines."""

from __future__ import annotations

import random
from collections import Counter

from gl_factory import HEADER, MAPPINGS, SETTINGS, gl_line
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ukg_visma.gl.completeness import check_complete
from ukg_visma.gl.transform import transform

EXPENSE = ["5000", "5020", "5090", "5400", "5405", "5420"]
BALANCE = ["2600", "2770", "2780", "2930", "2940", "2990", "1920"]
CENTRES = {"10": ["110", "210", "310"], "20": ["120", "220"], "50": ["150", "350"]}
PROJECTS = [None, None, "PRJ1001", "PRJ1002", "PRJ1003"]


def _amount_text(ore: int, form: str) -> object:
    text = f"{'-' if ore < 0 else ''}{abs(ore) // 100}.{abs(ore) % 100:02d}"
    if form == "float":
        return float(text)
    if form == "int" and ore % 100 == 0:
        return ore // 100
    return text


@st.composite
def gl_exports(draw):
    """1–2 runs × 1–2 companies × 1–2 pay dates, each group balanced by a last 2930 line;
    amounts as strings, floats or ints, some negative (reversals), some zero; random blocks."""
    lines = []
    serial = 0
    for run in range(draw(st.integers(1, 2))):
        run_lines = []
        for company in draw(st.sampled_from([["NMF"], ["NMF", "NMS"]])):
            for pay_date in draw(st.sampled_from([["2026-10-23"], ["2026-10-23", "2026-10-30"]])):
                balance = 0
                for _ in range(draw(st.integers(1, 18))):
                    serial += 1
                    account = draw(st.sampled_from(EXPENSE + BALANCE))
                    dept = draw(st.sampled_from(sorted(CENTRES)))
                    cc = draw(st.sampled_from(CENTRES[dept]))
                    ore = draw(st.one_of(st.integers(0, 10**8), st.integers(-(10**5), 10**5)))
                    form = draw(st.sampled_from(["str", "float", "int"]))
                    debit = draw(st.booleans())
                    balance += ore if debit else -ore
                    amount = _amount_text(ore, form)
                    run_lines.append(
                        gl_line(
                            account,
                            debit=amount if debit else "0.00",
                            credit="0.00" if debit else amount,
                            dept=dept,
                            cc=cc,
                            project=draw(st.sampled_from(PROJECTS)),
                            employee=f"E{serial}",
                            companyCode=company,
                            payDate=pay_date,
                        )
                    )
                if balance:
                    serial += 1
                    run_lines.append(
                        gl_line(
                            "2930",
                            debit=_amount_text(-balance, "str") if balance < 0 else "0.00",
                            credit=_amount_text(balance, "str") if balance > 0 else "0.00",
                            employee=f"E{serial}",
                            companyCode=company,
                            payDate=pay_date,
                        )
                    )
        size = draw(st.integers(1, 7))
        total = -(-len(run_lines) // size)
        for i, line in enumerate(run_lines):
            head = {**HEADER, "runId": f"NMF-20261{run}-R1", "blockId": i // size + 1}
            lines.append({**head, "totalNrOfBlocks": total, **line})
    return lines


# Size and deadline come from the hypothesis profile (tests/conftest.py).
CASES = settings(suppress_health_check=[HealthCheck.too_slow])


def _line_totals(journals) -> Counter:
    totals: Counter = Counter()
    for j in journals:
        for ln in j.lines:
            totals[(j.company, ln.account, ln.subaccount, ln.project, ln.task, ln.side)] += (
                ln.amount_ore
            )
    return totals


@CASES
@given(gl_exports(), st.integers(2, 6))
def test_journals_balance_fit_keep_every_total_and_trace_every_line(lines, limit):
    check_complete(lines)
    result = transform(lines, MAPPINGS, SETTINGS, line_limit=limit)
    mapped = result.mapped
    for j in result.journals:
        assert j.balanced, j.journal_key
        assert 1 <= len(j.lines) <= limit
        keys = [(ln.account, ln.subaccount, ln.project, ln.task, ln.side) for ln in j.lines]
        assert len(set(keys)) == len(keys)
    assert len({j.journal_key for j in result.journals}) == len(result.journals)
    # totals per account × subaccount (department-cost centre) × project × task × side
    expected: Counter = Counter()
    sub = mapped["seg_1"] + "-" + mapped["seg_2"]
    for row, s in zip(mapped.itertuples(index=False), sub, strict=True):
        if row.amount_ore:
            key = (row.company, row.visma_account, s, row.visma_project, row.visma_task, row.side)
            expected[key] += row.amount_ore
    assert _line_totals(result.journals) == expected
    # net per account × cost centre equals UKG's debit − credit
    ukg_net: Counter = Counter()
    for row in mapped.itertuples(index=False):
        ukg_net[(row.visma_account, row.seg_2)] += row.debit_ore - row.credit_ore
    posted_net: Counter = Counter()
    for j in result.journals:
        for ln in j.lines:
            posted_net[(ln.account, ln.segments[1][1])] += ln.debit_ore - ln.credit_ore
    assert +posted_net == +ukg_net and -posted_net == -ukg_net
    _assert_lineage_holds_every_source_ore_exactly_once(result)


def _assert_lineage_holds_every_source_ore_exactly_once(result):
    lineage, mapped = result.lineage, result.mapped
    assert set(lineage["source_key"]) == set(mapped["source_key"])
    per_source = lineage.groupby("source_key")["amount_ore"].sum()
    assert per_source.to_dict() == dict(
        zip(mapped["source_key"], mapped["amount_ore"], strict=True)
    )
    posted = lineage[lineage["line_number"] > 0]
    per_line = posted.groupby(["journal_key", "line_number"])["amount_ore"].sum().to_dict()
    assert per_line == {
        (j.journal_key, ln.line_number): ln.amount_ore for j in result.journals for ln in j.lines
    }
    # a source line appears twice only where its journal line was cut, once per cut at most
    repeats = lineage["source_key"].value_counts()
    assert (repeats > 1).sum() <= max(0, len(result.journals) - 1)


@CASES
@given(gl_exports(), st.integers(2, 6), st.randoms(use_true_random=False))
def test_shuffled_input_gives_the_same_journals_and_keys(lines, limit, rnd: random.Random):
    first = transform(lines, MAPPINGS, SETTINGS, line_limit=limit)
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    second = transform(shuffled, MAPPINGS, SETTINGS, line_limit=limit)
    assert [j.model_dump() for j in second.journals] == [j.model_dump() for j in first.journals]
    again = transform(lines, MAPPINGS, SETTINGS, line_limit=limit)
    assert again.lineage.equals(first.lineage)
