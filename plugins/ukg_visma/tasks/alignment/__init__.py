"""Task bodies of ``ukg_visma_cost_center_alignment``.

``steps`` — the DAG's four steps (plan → apply to Visma, apply to UKG → verify) and the run type;
``sides`` — reading both systems through the hooks and sending the plan's writes. The pure
planning is ``ukg_visma.alignment``. Kept light: the DAG file imports ``steps`` inside its tasks.
"""
