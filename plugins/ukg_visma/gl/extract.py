"""The UKG payroll GL export: why it can be refused, and where each part of reading it lives.

Reading an export is split by what each part does:

- :mod:`~ukg_visma.gl.export_frame`: UKG's JSON lines (one block at a time, or all) → the
  canonical frame, with line identities ``{runId}/{blockId}/{n}`` and exact øre amounts;
- :mod:`~ukg_visma.gl.completeness`: proof that the export is complete, tallied block by block
  so that a million-line run never has to be held at once;
- :mod:`~ukg_visma.gl.line_hash`: each line's content hash (the audit's ``source_hash``).

The errors are defined here, where every caller has always caught them; the parts import them
from here (and nothing here imports the parts, so there is no import circle).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ukg_visma.errors import NotRetryable


class _Findings(Protocol):
    """What the error reads of ``gl.completeness.CompletenessReport`` (a protocol, so that this
    module imports none of the parts that import its errors)."""

    @property
    def problems(self) -> Sequence[str]: ...


__all__ = ["GLExportError", "IncompleteExportError", "MalformedExportError"]


class GLExportError(ValueError):
    """The GL export cannot be used as it is; retrying the transform will not help."""


class MalformedExportError(NotRetryable, GLExportError):
    """Lines miss required fields or carry amounts that are not exact decimals.

    ``problems``: one text per kind of problem (what the message lists), so that a reader of a
    run block by block can name every bad block's lines in one error.
    """

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        self.problems = problems or (message,)
        super().__init__(message)


class IncompleteExportError(NotRetryable, GLExportError):
    """Blocks are missing, lines repeat, or a run does not balance; ``report`` has the detail."""

    def __init__(self, report: _Findings) -> None:
        self.report = report
        listing = "\n".join(f"  - {p}" for p in report.problems)
        super().__init__(f"the UKG GL export is not complete:\n{listing}")
