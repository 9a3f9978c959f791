"""Payroll GL → Visma journals, as pure functions on plain data (no HTTP, no Airflow).

- :mod:`~ukg_visma.gl.extract`: why an export is refused; :mod:`~ukg_visma.gl.export_frame`: the
  export (a block at a time) as a frame; :mod:`~ukg_visma.gl.completeness`: the completeness proof,
  tallied per block; :mod:`~ukg_visma.gl.line_hash`: content hashes
- :mod:`~ukg_visma.gl.transform`: mapping, aggregation, balanced splitting, lineage
- :mod:`~ukg_visma.gl.split`: the balanced-split algorithm itself
- :mod:`~ukg_visma.gl.journal`: journal models, keys, the Visma POST body
- :mod:`~ukg_visma.gl.catalog` / :mod:`~ukg_visma.gl.validate`: what Visma allows; the report
- :mod:`~ukg_visma.gl.reconcile`: UKG totals vs the batches read back
- :mod:`~ukg_visma.gl.report`: the run's Markdown summary

Nothing is imported here, so that parsing a DAG file does not load pandas.
"""
