"""Typed access to ``include/mappings/settings.yaml``.

One loader so that every DAG and task reads the same, validated settings; a typo in the YAML is a
clear error at task start instead of a silent default on payday. Every key's docstring below says
what it does and which module reads it (``ukg-visma settings`` prints the values).
"""

from __future__ import annotations

import os
import re
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


COMPANY_ID_PATTERN = r"^[a-z0-9][a-z0-9_]{0,30}$"
"""A company id names its DAG (``ukg_visma_payroll_gl__<id>``), so Airflow's dag-id rules and a
short, lower-case slug."""


class CompanySettings(_Strict):
    """One legal entity: one UKG company posted into one Visma.net company (its own tenant).

    In a group's ``companies:`` list every entry is one of these, with the keys of
    ``company_defaults`` filled in where the entry leaves them out (docs/decisions/
    many-companies.md). The single ``company:`` block of a one-company deployment is the same
    model: a list of one."""

    id: str = ""
    """Short name of the company (``[a-z0-9_]``): the pay-period DAG of a group's company is
    ``ukg_visma_payroll_gl__<id>`` (``companies.payroll_dag_id``), its staging and report folders,
    audit rows (``runs.company``) and run notes carry it. Required in ``companies:``; a single
    ``company:`` block may leave it out (its DAG keeps the id ``ukg_visma_payroll_gl``)."""
    ukg_company_code: str
    """The UKG company whose payroll this deployment posts (``companyCode``, else ``coId``).
    Read by ``tasks.payroll.pay_runs.completed_pay_runs`` and ``tasks.payroll.extract.extract``:
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
    visma_conn_id: str = "visma_default"
    """Airflow connection of this company's Visma.net company: its ``tenant_id`` extra picks the
    Visma company every read and post of this company's DAG goes to (``tasks.runtime.
    visma_hook``). Each company of a group has its own: no two companies share one."""
    ukg_conn_id: str = "ukg_default"
    """Airflow connection of the UKG tenant the company's payroll is read from; a group's UKG
    companies usually share one tenant, hence one connection (``tasks.runtime.ukg_hook``)."""
    mappings_dir: str | None = None
    """Folder of this company's mapping files (``accounts.csv``, ``cost_centers.csv``,
    ``projects.csv``), relative to the folder of ``settings.yaml`` or absolute (``mappings.
    load_mappings``). Unset: the files next to ``settings.yaml`` — a group that shares one chart
    shares them."""
    payroll: dict[str, Any] = {}
    """Keys of the ``payroll:`` block this company sets otherwise — its pay groups, schedule
    (closing calendar), ``correction_mode``, ``closed_period``, ``approval_required``, …
    (``Settings.for_company``); each is checked as the ``payroll:`` block is."""


class PayrollSettings(_Strict):
    pay_groups: list[str]
    """UKG pay groups the pay-period DAG posts (``dags/ukg_visma_payroll_gl.py`` →
    ``tasks.payroll.pay_runs.completed_pay_runs``); a manual run's ``pay_group`` param replaces
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
    per key; ``gl.journal``, ``tasks.payroll``). In a group's file (``companies:``) this is the
    first company; a company's DAG reads ``for_company(id).company``."""
    companies: list[CompanySettings] = []
    """A group: one entry per legal entity, each posted by its own pay-period DAG
    (``dags/ukg_visma_payroll_gl.py``, docs/decisions/many-companies.md). Unset: the one
    ``company:`` (a list of one)."""
    company_defaults: dict[str, Any] = {}
    """Keys every entry of ``companies:`` gets unless it sets them (a shared branch, ledger,
    currency, journal-key ``tenant``, mapping folder, ``payroll`` overrides)."""
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

    @model_validator(mode="before")
    @classmethod
    def _one_or_many_companies(cls, data: Any) -> Any:
        """``company:`` (one) or ``companies:`` (a group) — never both; the entries of a group
        get ``company_defaults`` filled in (its ``payroll`` overrides merged key by key)."""
        if not isinstance(data, dict):
            return data
        group = data.get("companies")
        if group is None:
            if data.get("company_defaults"):
                raise ValueError("company_defaults is only read with a companies: list")
            return {**data, "companies": [data["company"]]} if "company" in data else data
        if "company" in data:
            raise ValueError(
                "settings.yaml has both company: and companies: — keep one (a group lists every "
                "company under companies:; company: alone is a group of one)"
            )
        if not isinstance(group, list) or not group:
            raise ValueError("companies: is a list of at least one company")
        defaults = dict(data.get("company_defaults") or {})
        merged = []
        for entry in group:
            if not isinstance(entry, dict):
                raise ValueError(f"companies: each entry is a mapping, not {entry!r}")
            payroll = {**(defaults.get("payroll") or {}), **(entry.get("payroll") or {})}
            merged.append({**defaults, **entry, "payroll": payroll})
        return {**data, "companies": merged, "company": merged[0]}

    @model_validator(mode="after")
    def _companies_fit(self) -> Settings:
        single = len(self.companies) == 1 and not self.companies[0].id  # a company: block
        problems: list[str] = []
        for field, label in (
            ("id", "id"),
            ("ukg_company_code", "ukg_company_code"),
            ("visma_conn_id", "visma_conn_id (one Visma company each)"),
        ):
            values = [getattr(c, field) for c in self.companies]
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                problems.append(f"companies: {label} {', '.join(map(str, twice))} appears twice")
        for c in self.companies:
            if not single and not re.fullmatch(COMPANY_ID_PATTERN, c.id):
                problems.append(
                    f"companies: id {c.id!r} (UKG {c.ukg_company_code}) must be a short "
                    "lower-case name of a-z, 0-9 and _ (it names the company's DAG)"
                )
            try:
                self._payroll_of(c)
            except ValueError as exc:
                problems.append(f"companies: {c.id or c.ukg_company_code}: payroll: {exc}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _payroll_of(self, company: CompanySettings) -> PayrollSettings:
        if not company.payroll:
            return self.payroll
        return PayrollSettings.model_validate({**self.payroll.model_dump(), **company.payroll})

    @property
    def is_group(self) -> bool:
        """More than one company: each has its own pay-period DAG id."""
        return len(self.companies) > 1

    def company_ids(self) -> list[str]:
        return [c.id for c in self.companies]

    def for_company(self, company_id: str | None) -> Settings:
        """The settings one company's runs read: ``company`` is that company, ``payroll`` the
        group's with the company's own keys, ``companies`` that one alone. ``None`` or ``""``:
        the single company (or a group's first)."""
        if not company_id:
            return self
        found = next((c for c in self.companies if c.id == company_id), None)
        if found is None:
            raise ValueError(
                f"no company {company_id!r} in settings.yaml (companies: {self.company_ids()})"
            )
        return self.model_copy(
            update={"company": found, "payroll": self._payroll_of(found), "companies": [found]}
        )

    def mappings_folder(self, base: Path | None = None) -> Path:
        """The company's mapping files' folder (``company.mappings_dir``, relative to ``base``
        — the settings folder — or absolute)."""
        folder = base or mappings_dir()
        if self.company.mappings_dir:
            return folder / self.company.mappings_dir
        return folder

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
