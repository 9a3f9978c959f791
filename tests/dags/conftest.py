"""Fixtures shared by the pay-period end-to-end tests (defined in ``ledger_truth``)."""

from ledger_truth import payroll, posted  # noqa: F401 - fixtures
