"""A group's ``settings.yaml`` (issue #25): a list of companies with shared defaults, each read by
its own pay-period DAG; the old single ``company:`` block unchanged.

The group file tested is the one docs/decisions/many-companies.md shows finance, so the
documented example can never drift from what the loader accepts.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from ukg_visma.companies import (
    PAYROLL_DAG_ID,
    company_of_dag,
    is_payroll_dag,
    payroll_dag_id,
    run_folder_key,
)
from ukg_visma.settings import DEFAULT_MAPPINGS_DIR, Settings

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = yaml.safe_load((DEFAULT_MAPPINGS_DIR / "settings.yaml").read_text(encoding="utf-8"))


def documented_group() -> dict[str, Any]:
    """The YAML block of the decision record's "A group's settings file"."""
    text = (ROOT / "docs" / "decisions" / "many-companies.md").read_text(encoding="utf-8")
    section = text.split("## A group's settings file", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block, "the decision record shows a group's settings file"
    return yaml.safe_load(block.group(1))


def test_the_single_company_block_is_a_group_of_one_with_the_old_dag_id():
    settings = Settings.model_validate(SHIPPED)
    assert not settings.is_group
    assert settings.companies == [settings.company]
    assert settings.for_company("") is settings
    assert payroll_dag_id(settings, settings.company.id) == PAYROLL_DAG_ID
    assert settings.company.visma_conn_id == "visma_default"
    assert settings.mappings_folder(DEFAULT_MAPPINGS_DIR) == DEFAULT_MAPPINGS_DIR


def test_the_documented_group_file_loads_with_defaults_and_overrides():
    settings = Settings.model_validate(documented_group())
    assert settings.is_group
    assert settings.company_ids() == ["raufoss", "moss"]
    raufoss, moss = settings.for_company("raufoss"), settings.for_company("moss")

    # company_defaults fill in what an entry leaves out; an entry's own keys win
    assert (raufoss.company.tenant, moss.company.tenant) == ("nordicmfg", "nordicmfg")
    assert (raufoss.company.visma_branch, moss.company.visma_branch) == ("1", "2")
    assert (raufoss.company.visma_conn_id, moss.company.visma_conn_id) == (
        "visma_raufoss",
        "visma_moss",
    )
    # payroll: the group's block, then company_defaults.payroll, then the entry's payroll
    assert raufoss.payroll.pay_groups == ["NO-M"] and moss.payroll.pay_groups == ["NOM-M"]
    assert raufoss.payroll.schedule == "0 6 1 * *" and moss.payroll.schedule == "0 6 3 * *"
    assert raufoss.payroll.closed_period == "fail"
    assert moss.payroll.closed_period == "post_to_next_open_period"
    assert (raufoss.payroll.approval_required, moss.payroll.approval_required) == (False, True)
    assert raufoss.payroll.line_limit == moss.payroll.line_limit == 1000  # the group's
    # a company's settings know that company alone
    assert moss.companies == [moss.company] and moss.company.ukg_company_code == "NMM"
    # its own chart, next to settings.yaml
    assert moss.mappings_folder(Path("/m")) == Path("/m/companies/moss")
    assert raufoss.mappings_folder(Path("/m")) == Path("/m")
    # a DAG per company
    ids = [payroll_dag_id(settings, c) for c in settings.company_ids()]
    assert ids == ["ukg_visma_payroll_gl__raufoss", "ukg_visma_payroll_gl__moss"]
    assert [company_of_dag(i) for i in ids] == ["raufoss", "moss"]
    assert all(is_payroll_dag(i) for i in ids) and not is_payroll_dag("ukg_visma_employee_sync")
    assert company_of_dag(PAYROLL_DAG_ID) == ""


def test_two_companies_backfilling_one_month_never_share_a_folder():
    run_id = "backfill__2026-10-01T04:00:00+00:00"
    assert run_folder_key("", run_id) == run_id  # one company: as before
    assert run_folder_key("raufoss", run_id) != run_folder_key("moss", run_id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["companies"][1].update(id="raufoss"), "id raufoss appears twice"),
        (lambda d: d["companies"][1].update(ukg_company_code="NMF"), "ukg_company_code NMF"),
        (
            lambda d: d["companies"][1].update(visma_conn_id="visma_raufoss"),
            "visma_conn_id .one Visma company each. visma_raufoss appears twice",
        ),
        (lambda d: d["companies"][0].update(id="Raufoss AS"), "must be a short lower-case name"),
        (lambda d: d["companies"][0].pop("id"), "must be a short lower-case name"),
        (
            lambda d: d["companies"][1]["payroll"].update(closed_period="ignore"),
            "moss: payroll:",
        ),
        (lambda d: d["companies"][1]["payroll"].update(typo=1), "moss: payroll:"),
        (lambda d: d.update(company=d["companies"][0]), "both company: and companies:"),
        (lambda d: d.update(companies=[]), "at least one company"),
    ],
)
def test_an_unusable_group_is_refused_with_the_reason(change, message):
    data = copy.deepcopy(documented_group())
    change(data)
    with pytest.raises(ValidationError, match=message):
        Settings.model_validate(data)


def test_company_defaults_need_a_companies_list():
    data = {**copy.deepcopy(SHIPPED), "company_defaults": {"currency": "SEK"}}
    with pytest.raises(ValidationError, match="company_defaults is only read with a companies"):
        Settings.model_validate(data)


def test_an_unknown_company_is_named():
    settings = Settings.model_validate(documented_group())
    with pytest.raises(ValueError, match=r"no company 'bergen'.*raufoss"):
        settings.for_company("bergen")
