"""The audit schema exactly as release 1 shipped it (commit cad9e91,
plugins/ukg_visma/audit/schema.py): a store made by that release, for the upgrade tests
(test_audit_migrations.py). Frozen: never edit.
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

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(250), primary_key=True),  # flow:period-or-window:airflow run id
    Column("flow", String(40), nullable=False),  # payroll_gl | employee_sync | alignment
    Column("period", String(20)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False),  # running | success | failed
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
    Column("body_sha256", String(64)),
    Column("body_size", Integer),
    Column("remote", String(80)),
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
