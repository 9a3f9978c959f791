"""Typed access to ``include/mappings/settings.yaml``.

One loader so that every DAG and task reads the same, validated settings; a typo in the YAML is a
clear error at task start instead of a silent default on payday. Every key's docstring below says
what it does and which module reads it (``ukg-visma settings`` prints the values).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "include" / "mappings"


class _Strict(BaseModel):
    # Each field's docstring becomes its description: what it does and where it is read.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


EMPLOYEE_DEPARTMENT_LEVEL = 2
"""UKG org level the employee sync reads the department from (docs/contracts.md §1)."""
EMPLOYEE_COST_CENTRE_LEVEL = 3
"""UKG org level the employee sync reads the cost centre from (``EmployeeSnapshot.cost_centre``)."""


class CompanySettings(_Strict):
    ukg_company_code: str
    """The UKG company whose payroll this deployment posts (``companyCode``, else ``coId``).
    Read by ``tasks.payroll.extract.completed_pay_runs`` and ``tasks.payroll.extract.extract``:
    pay runs and GL lines of any other company are left out; by ``tasks.payroll.plan`` and
    ``tasks.payroll.reconcile`` as a company whose Visma batches belong to the period."""
    visma_branch: str = "1"
    """Visma branch of every journal (``gl.journal.to_visma_payload``) and of a new employee
    (``tasks.employee_sync.apply``)."""
    ledger: str = "1"
    """Visma ledger of every journal (``gl.journal.to_visma_payload``)."""
    currency: str = "NOK"
    """Currency of every journal (``gl.journal.to_visma_payload``); validation refuses an account
    that takes another currency (``gl.validate``)."""
    tenant: str
    """First part of every journal key (``gl.transform``), so two tenants never share a key;
    the plan, reconciliation and reversals keep only batches of this tenant
    (``tasks.payroll.plan``, ``tasks.payroll.reconcile``, ``tasks.payroll.reversals``)."""


class PayrollSettings(_Strict):
    pay_groups: list[str]
    """UKG pay groups the pay-period DAG posts (``dags/ukg_visma_payroll_gl.py`` →
    ``tasks.payroll.extract.completed_pay_runs``); a manual run's ``pay_group`` param replaces
    them."""
    schedule: str = "0 6 1 * *"
    """Cron of the pay-period DAG (``dags/ukg_visma_payroll_gl.py``, Europe/Oslo); each tick's
    run is for the month that ended, its partition key (``periods.pay_period_timetable``)."""
    line_limit: int = Field(1000, ge=2, le=10000)
    """Most lines in one Visma journal before a deterministic split (``gl.transform``,
    ``gl.corrections`` via ``tasks.payroll.plan``)."""
    gl_read_concurrency: int = Field(4, ge=1, le=16)
    """How many GL export blocks of one pay run the extract reads at once
    (``tasks.payroll.gl_blocks.run_blocks``). 1 reads them one after the other; more overlaps UKG's
    per-request latency (measured 20 s → 5 s at 20,000 employees and 4 readers, bench/RESULTS.md).
    Every reader shares the connection's token and rate-limit pacer and backs off on 429, so the
    value bounds the requests in flight, not the rate: keep it within UKG's quota."""
    gl_block_size: int | None = Field(None, ge=1)
    """UKG's GL block size, where the tenant's is known (UKG does not publish it): every block
    but the last must then hold exactly this many lines and the last at most this many
    (``gl.completeness.check_complete``). Unset (default): block accounting only."""
    gl_most_recent: bool = True
    """Send ``mostRecent=true`` with every GL read by ``runId`` (``hooks.ukg.UkgHook.gl_block`` /
    ``gl_header``), so a tenant that keeps a run's earlier exports serves the latest; false
    for a tenant that refuses the parameter with a ``runId``."""
    release: bool = True
    """Release journals after posting (``tasks.payroll.posting.post_journal`` from the DAG,
    ``commands.reverse``, release-only refs in ``tasks.payroll.plan``); false keeps them on
    hold for review in Visma."""
    approval_required: bool = False
    """Put a human approval of the validation report before posting
    (``dags/ukg_visma_payroll_gl.py``)."""
    transaction_code: str = "GEN"
    """Visma transaction code of every journal (``gl.journal.to_visma_payload``)."""
    correction_mode: Literal["delta", "reverse_and_repost"] = "delta"
    """A new GL version of a run already in Visma: post the difference as an adjustment journal
    (``delta``), or reverse the earlier journals and post the new version in full
    (``tasks.payroll.plan`` → ``gl.corrections.plan_postings``)."""
    closed_period: Literal["fail", "post_to_next_open_period"] = "fail"
    """A pay period closed in Visma's GL: stop before posting and say what to reopen (``fail``),
    or post into the next open period, keeping the pay period in the description and the audit
    (``gl.validate``, ``tasks.payroll.validate.transform_and_validate``, ``tasks.payroll.plan``)."""

    @model_validator(mode="before")
    @classmethod
    def _removed_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and "period_key_format" in data:
            raise ValueError(
                "payroll.period_key_format was removed: delete it from settings.yaml. A pay "
                "period's key is always YYYY-MM — it names the period in journal descriptions "
                "in Visma (reversals and re-runs parse it back from there), in audit rows, "
                "staging and report paths and in the DAG's `period` param, so another format "
                "would lose track of what is already posted."
            )
        return data


class SegmentSetting(_Strict):
    ukg_level: int = Field(ge=1, le=4)
    """UKG org level (``orgLevel{n}Code``) whose codes become this segment's values; read by the
    GL transform (``gl.transform``), validation, the mappings (``mappings``), drift checks
    (``alignment.drift``) and the cost-centre alignment (``alignment.plan``)."""
    segment_id: int = Field(ge=1)
    """Visma SUBACCOUNT segment id the level maps to (``gl.transform``, ``gl.validate``,
    ``mappings``, ``alignment.plan``; new departments in ``tasks.employee_sync.apply``)."""
    name: str
    """Label of the segment in validation findings (``gl.validate``) and mapping errors
    (``mappings``)."""
    default: str
    """Segment value of a GL line without this org level (balance-sheet lines): ``gl.transform``,
    ``gl.validate``, ``alignment.drift``; its length is the length every mapped value must have
    (``mappings``); the department of a new Visma department record
    (``tasks.employee_sync.apply``)."""


class EmployeeSyncSettings(_Strict):
    schedule: str = "0 */4 * * *"
    """Cron of the employee sync DAG (``dags/ukg_visma_employee_sync.py``): every 4 h = 6 feed
    polls a day, each at least 3 h after the last even when a run starts late (UKG's budget)."""
    feed_min_hours_apart: float = Field(3.0, ge=0)
    """UKG's change feed (``employee-changes``) is polled at most once in this many hours
    (``employees.feed_budget``); a run inside it defers its poll."""
    feed_max_calls_per_day: int = Field(8, ge=1)
    """… and at most this many times per UTC day (``employees.feed_budget``)."""
    overlap_minutes: int = Field(15, ge=0)
    """The change feed is read from the watermark minus this much
    (``tasks.employee_sync.extract``)."""
    batch_size: int = Field(50, ge=1)
    """Changes applied to Visma per checkpoint (``tasks.employee_sync.apply``)."""
    alarm_after_failed_runs: int = Field(3, ge=1)
    """A change still pending after this many runs fails the run with an alarm
    (``tasks.employee_sync.verify``)."""
    max_quarantined_percent: float = Field(5.0, ge=0, le=100)
    """A run whose quarantine holds more than this share of UKG's employees fails
    (``tasks.employee_sync.verify``): a sync that quarantines everyone is not a success."""
    max_quarantined: int | None = Field(None, ge=0)
    """The same as an absolute count (either limit fails the run; ``None``: no count limit)."""
    visma_employee_class: str = "EMPSTAND"
    """Employee class of a new Visma employee (``tasks.employee_sync.apply``); UKG has none."""
    visma_calendar: str = "MAIN"
    """Calendar of a new Visma employee (``tasks.employee_sync.apply``); UKG has none."""


class AlignmentSettings(_Strict):
    write_cost_centers_to_ukg: bool = False
    """Let the cost-centre alignment create/update UKG org levels (``alignment.plan``,
    ``tasks.alignment.steps``); the only write UKG ever gets."""
    conflict_winner: Literal["none", "ukg", "visma"] = "none"
    """Who wins a same-code/different-name conflict in the alignment (``alignment.plan``)."""


class RetrySettings(_Strict):
    """Task-level retries (``tasks.runtime.retry_policy`` and ``default_args``). A transient
    error (``Retryable``) is retried ``transient_retries`` times, ``first_delay_seconds``
    doubling up to ``max_delay_seconds`` — 30 s, 1, 2, 4, 5, 5 min by default: 17.5 min, enough
    to ride out a 15-minute outage. An error of no known kind (a bug, a library error) gets
    ``unknown_error_retries``; a permanent one (``NotRetryable``) none."""

    transient_retries: int = Field(6, ge=0, le=50)
    """Retries of a transient error (``tasks.runtime``)."""
    first_delay_seconds: float = Field(30, gt=0)
    """Delay before the first retry, doubled each time (``tasks.runtime``)."""
    max_delay_seconds: float = Field(300, gt=0)
    """Cap of the retry delay (``tasks.runtime``)."""
    unknown_error_retries: int = Field(2, ge=0)
    """Retries of an error of no known kind (``tasks.runtime``)."""


class RetentionSettings(_Strict):
    """How long the audit store keeps personal data (``docs/personal-data.md``)."""

    personal_data_days: int = Field(400, ge=1)
    """Employee rows older than this are deleted by ``ukg-visma audit purge``
    (``commands.audit``)."""


class AlertSettings(_Strict):
    """Who is told when a run fails or a pay period is late (``ukg_visma.alerts``). Every channel
    is off until its connection id is set; the connections hold the server, the login and the
    webhook secret, so nothing secret is in this file (``docs/alerts.md``)."""

    email_conn_id: str | None = None
    """Airflow SMTP connection (``smtp`` type) of the alert e-mails; unset = no e-mail
    (``alerts.notify``)."""
    email_to: list[str] = []
    """Recipients of the alert e-mails (``alerts.notify``); required with ``email_conn_id``."""
    email_from: str | None = None
    """Sender of the alert e-mails; unset = the SMTP connection's ``from_email`` extra."""
    slack_conn_id: str | None = None
    """Airflow Slack incoming-webhook connection (``slackwebhook`` type); unset = no Slack message
    (``alerts.notify``)."""
    posting_deadline_day: int | None = Field(None, ge=1, le=28)
    """A pay period not posted by the end of this day of the following month (Oslo time) raises
    a deadline alert on its scheduled or manual run (``alerts.deadline`` via the pay-period DAG's
    ``deadline``); unset = no deadline alert."""

    @model_validator(mode="after")
    def _recipients(self) -> AlertSettings:
        if self.email_conn_id and not self.email_to:
            raise ValueError("alerts.email_conn_id is set but alerts.email_to names nobody")
        return self

    @property
    def enabled(self) -> bool:
        """Whether any channel is configured (else no callback is wired at all)."""
        return bool(self.email_conn_id or self.slack_conn_id)


class PathSettings(_Strict):
    staging: str
    """Where tasks hand files to each other, an ``ObjectStoragePath`` (``tasks.staging``);
    ``{airflow_home}`` is replaced."""
    reports: str
    """Folder of the run reports of every flow (``tasks.reports``); ``{airflow_home}`` is
    replaced."""


class Settings(_Strict):
    company: CompanySettings
    """Who posts: the UKG company, the Visma branch/ledger/currency, the tenant (readers named
    per key; ``gl.journal``, ``tasks.payroll``)."""
    payroll: PayrollSettings
    """The pay-period DAG (``dags/ukg_visma_payroll_gl.py``)."""
    segments: list[SegmentSetting]
    """UKG org level → Visma SUBACCOUNT segment (``gl.transform``, ``mappings``,
    ``alignment.plan``). The employee sync reads the department from level 2 and the cost centre
    from level 3 (``tasks.employee_sync.apply``), so both must be mapped."""
    employee_sync: EmployeeSyncSettings = EmployeeSyncSettings()
    """The employee sync DAG (``dags/ukg_visma_employee_sync.py``)."""
    alignment: AlignmentSettings = AlignmentSettings()
    """The cost-centre alignment DAG (``dags/ukg_visma_cost_center_alignment.py``)."""
    retries: RetrySettings = RetrySettings()
    """Task-level retries of every DAG (``tasks.runtime``)."""
    retention: RetentionSettings = RetentionSettings()
    """Personal data in the audit store (``commands.audit``)."""
    alerts: AlertSettings = AlertSettings()
    """Failure and deadline alerts (``ukg_visma.alerts``); off until a connection id is set."""
    paths: PathSettings
    """Staging files and reports (``tasks.staging``, ``tasks.reports``)."""

    @model_validator(mode="after")
    def _segments_fit(self) -> Settings:
        levels = [s.ukg_level for s in self.segments]
        ids = [s.segment_id for s in self.segments]
        if len(set(levels)) != len(levels) or len(set(ids)) != len(ids):
            raise ValueError("segments: each ukg_level and each segment_id may appear only once")
        # The employee sync (EmployeeSnapshot.cost_centre, tasks.employee_sync.apply) reads these
        # two levels and no other; refuse a mapping that would leave it without them.
        needed = {
            EMPLOYEE_DEPARTMENT_LEVEL: "the department",
            EMPLOYEE_COST_CENTRE_LEVEL: "the cost centre",
        }
        missing = [f"ukg_level {lv} ({what})" for lv, what in needed.items() if lv not in levels]
        if missing:
            raise ValueError(
                f"segments maps UKG org levels {sorted(levels)}, but the employee sync reads "
                f"{' and '.join(missing)} of every employee (docs/contracts.md §1: orgLevel2 = "
                "department, orgLevel3 = cost centre); map those levels to Visma segments"
            )
        return self

    def staging_path(self) -> str:
        return self.paths.staging.format(airflow_home=airflow_home())

    def reports_dir(self) -> Path:
        return Path(self.paths.reports.format(airflow_home=airflow_home()))


def airflow_home() -> str:
    return os.environ.get("AIRFLOW_HOME", str(Path.home() / "airflow"))


def mappings_dir() -> Path:
    """Where finance keeps the reviewed mapping files (overridable for tests and deployments)."""
    return Path(os.environ.get("UKG_VISMA_MAPPINGS_DIR", DEFAULT_MAPPINGS_DIR))


@lru_cache(maxsize=8)
def _load(path: Path, mtime: float) -> Settings:
    with path.open(encoding="utf-8") as fh:
        return Settings.model_validate(yaml.safe_load(fh))


def load_settings(directory: Path | None = None) -> Settings:
    path = (directory or mappings_dir()) / "settings.yaml"
    return _load(path, path.stat().st_mtime)
