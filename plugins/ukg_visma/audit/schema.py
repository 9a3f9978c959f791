"""The audit store's tables (SQLAlchemy Core).

One schema for SQLite (the embedded default) and PostgreSQL (production). It is the product's
memory: what came from UKG, what it became in Visma, and which posting attempts happened — so that
a retry knows what is already done and a controller can trace any ledger line back to its source.
Each table has one owning module that reads and writes it:

- ``runs``, ``records``        → ``audit.records``   (every flow)
- ``journal_ledger``, ``journal_batches`` → ``audit.ledger`` (payroll GL posting, exactly-once;
  what Visma holds of ours per pay period)
- ``inbox``, ``webhook_rejections`` → ``audit.inbox`` (webhook receiver, employee sync)
- ``employee_state``, ``watermarks``, ``pending_changes``, ``rejected_employees``
                               → ``audit.employees`` (employee sync)
- ``visma_employees``          → ``audit.visma_employees`` (employee sync: Visma's side, mirrored)
- ``feed_calls``               → ``audit.feed_calls`` (employee sync: UKG change-feed call budget)
- ``schema_versions``          → ``audit.migrations`` (which schema version the store holds)
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()
_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only

# The versions this store went through (``audit.migrations``): created, recognised or upgraded.
schema_versions = Table(
    "schema_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
    Column("description", String(200), nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(250), primary_key=True),  # flow:period-or-window:airflow run id
    Column("flow", String(40), nullable=False),  # payroll_gl | employee_sync | alignment
    Column("period", String(20)),
    # the UKG company code of a pay-period run (schema version 4; NULL on older rows and on the
    # flows that serve no one company)
    Column("company", String(40)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    # records.RUN_STATUSES; 40 since schema version 3 (20 could not hold success_with_quarantine,
    # which PostgreSQL refused while SQLite, ignoring lengths, took it)
    Column("status", String(40), nullable=False),
    Column("summary", JSON),
)

records = Table(
    "records",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("run_id", String(250), nullable=False),
    Column("flow", String(40), nullable=False),
    Column("source_kind", String(40), nullable=False),  # gl_line | employee_change | webhook_event
    Column("source_key", String(250), nullable=False),  # the record's identity at the source
    Column("source_hash", String(64)),  # sha256 of the canonical source record
    Column("target_kind", String(40)),  # journal_line | employee | segment_value
    Column("target_key", String(250)),  # e.g. "batch 000123 line 4", "employee 1042"
    Column("status", String(20), nullable=False),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("detail", JSON),  # non-secret facts: amounts, codes, mapping used
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("run_id", "source_kind", "source_key", name="uq_records_source"),
)
Index("ix_records_source_key", records.c.source_key)
Index("ix_records_target_key", records.c.target_key)

journal_ledger = Table(
    "journal_ledger",
    metadata,
    Column("journal_key", String(250), primary_key=True),
    Column("period", String(20), nullable=False),
    Column("company", String(40), nullable=False),
    Column("pay_run", String(80), nullable=False),
    Column("run_version", String(40), nullable=False),
    Column("split_index", Integer, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("status", String(20), nullable=False),  # claimed | unknown | created | released | failed
    Column("batch_number", String(40)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(120)),
    Column("lease_until", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_journal_ledger_period", journal_ledger.c.period)

# Our batches as Visma holds them, refreshed from the period listing on every run: the chain
# original → adjustment / reversal of each pay run, queryable by pay period. A cache of Visma's
# truth (rebuilt by the next run if this store is lost), never a reason to skip reading Visma.
journal_batches = Table(
    "journal_batches",
    metadata,
    Column("batch_number", String(40), primary_key=True),
    Column("journal_key", String(250), nullable=False),
    Column("period", String(20), nullable=False),  # the pay period (YYYY-MM)
    Column("visma_period", String(10)),  # where Visma holds it (YYYYPP), may differ when moved
    Column("company", String(40), nullable=False),
    Column("pay_run", String(80), nullable=False),
    Column("kind", String(20), nullable=False),  # full | adjustment | reversal
    Column("run_version", String(60), nullable=False),
    Column("reverses", String(40)),  # batch number a reversal undoes
    Column("status", String(20)),  # Visma's batch status when last seen
    Column("debit_ore", BigInteger, nullable=False, default=0),
    Column("note", Text),
    Column("seen_by_run", String(250)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_journal_batches_period", journal_batches.c.period)

inbox = Table(
    "inbox",
    metadata,
    Column("event_id", String(120), primary_key=True),
    Column("event_type", String(80), nullable=False),
    Column("event_time", DateTime(timezone=True)),
    Column("employee_id", String(80)),
    Column("company_id", String(40)),
    Column("payload", JSON, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),  # new | processed
    Column("processed_at", DateTime(timezone=True)),
    Column("processed_by_run", String(250)),
)
Index("ix_inbox_status", inbox.c.status)

webhook_rejections = Table(
    "webhook_rejections",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("body_sha256", String(64)),  # of the first refused body in the window
    Column("body_size", Integer),
    Column("remote", String(80), nullable=False),  # source address ("" when unknown)
    # One row per source per minute: refusals are counted, not stored one by one, so a flood
    # of unauthenticated requests cannot grow the table faster than a row a minute per source.
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("count", Integer, nullable=False, default=1),
    Column("last_status_code", Integer),
    Column("last_reason", String(200)),
    UniqueConstraint("remote", "window_start", name="uq_webhook_rejections_window"),
)

employee_state = Table(
    "employee_state",
    metadata,
    Column("employee_id", String(80), primary_key=True),
    Column("employee_number", String(40)),
    Column("snapshot", JSON, nullable=False),  # last UKG snapshot applied to Visma
    Column("date_time_changed", DateTime(timezone=True)),
    Column("visma_employee_cd", String(40)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

pending_changes = Table(
    "pending_changes",
    metadata,
    Column("employee_id", String(80), primary_key=True),
    Column("snapshot", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("failed_runs", Integer, nullable=False, default=0),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# UKG snapshots that could not be parsed (quarantine): kept with the raw payload and the findings,
# re-read from UKG on every run until they parse (employees.quarantine,
# tasks.employee_sync.extract).
rejected_employees = Table(
    "rejected_employees",
    metadata,
    Column("rejection_key", String(120), primary_key=True),  # employeeId, else number:/payload:
    Column("employee_id", String(80)),
    Column("employee_number", String(40)),
    Column("payload", JSON, nullable=False),  # the raw UKG snapshot as received
    Column("findings", JSON, nullable=False),  # [{field, value, rule}]
    Column("failed_runs", Integer, nullable=False, default=0),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_run", String(250)),
)

watermarks = Table(
    "watermarks",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("value", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# What Visma holds per employee (status, department), refreshed by lastModifiedDateTime, so that the
# headcount check reads only what changed in Visma instead of every employee on every run.
visma_employees = Table(
    "visma_employees",
    metadata,
    Column("employee_cd", String(40), primary_key=True),
    Column("status", String(20)),
    Column("department", String(20)),
    Column("last_modified", String(40)),  # Visma's own lastModifiedDateTime text (its clock)
    Column("refreshed_at", DateTime(timezone=True), nullable=False),
)

# Every call of UKG's change feed (``GET /personnel/v1/employee-changes``) this store's deployment
# made, so that a run can keep UKG's budget (8 a day, 3 h apart: ``employees.feed_budget``). Written
# *before* the call (a call whose answer was lost still counted at UKG), completed after it.
feed_calls = Table(
    "feed_calls",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("called_at", DateTime(timezone=True), nullable=False, index=True),
    Column("run_id", String(250), nullable=False),
    Column("window_start", DateTime(timezone=True)),
    Column("window_end", DateTime(timezone=True)),
    Column("pages", Integer),  # None: the call did not finish (failed or lost)
    Column("snapshots", Integer),
)
