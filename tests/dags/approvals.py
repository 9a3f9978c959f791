"""Answering ``approve_posting`` while ``dag.test`` runs its HITL trigger in line.

A controller's answer is what the UI's *Required Action* form writes through the REST API
(``PATCH .../hitlDetails``, ``update_hitl_detail``): the chosen option, the form's fields, who
and when, on the task's HITL detail row, then the parked task resumed with that response
(``handle_event_submit``). ``dag.test`` in 3.3.2 parks HITL tasks in ``awaiting_input`` and waits
for exactly that. Here a thread waits for the row and does the same two steps, so the real
``ApprovalOperator.execute_complete`` path runs end to end.
"""

from __future__ import annotations

import threading
import time
from typing import Any

CONTROLLER = {"id": "7", "name": "controller"}


def answer_approval(choice: str, reason: str | None, timeout: float = 240) -> threading.Thread:
    """Start a thread that answers the first unanswered ``approve_posting`` prompt."""

    def respond() -> None:
        from airflow.models.hitl import HITLDetail
        from airflow.models.taskinstance import TaskInstance
        from airflow.models.trigger import handle_event_submit
        from airflow.triggers.base import TriggerEvent
        from airflow.utils import timezone
        from airflow.utils.session import create_session
        from airflow.utils.state import TaskInstanceState
        from sqlalchemy import select

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with create_session() as session:
                detail = session.scalar(
                    select(HITLDetail)
                    .join(TaskInstance, TaskInstance.id == HITLDetail.ti_id)
                    .where(TaskInstance.task_id == "approve_posting")
                    .where(HITLDetail.chosen_options.is_(None))
                )
                ti = session.get(TaskInstance, detail.ti_id) if detail is not None else None
                if (
                    detail is not None
                    and ti is not None
                    and ti.state
                    in (
                        TaskInstanceState.AWAITING_INPUT,
                        TaskInstanceState.DEFERRED,
                    )
                ):
                    detail.responded_by = dict(CONTROLLER)
                    detail.responded_at = timezone.utcnow()
                    detail.chosen_options = [choice]
                    params: dict[str, Any] = {"decision_reason": reason}
                    detail.params_input = params
                    session.add(detail)
                    handle_event_submit(
                        TriggerEvent(detail.as_resume_event_payload()),
                        task_instance=ti,
                        session=session,
                    )
                    return
            time.sleep(0.5)

    thread = threading.Thread(target=respond, name="approval", daemon=True)
    thread.start()
    return thread


def note_of(dagrun: Any) -> str | None:
    """The run's note as the metadata DB holds it (``dag.test`` returns a detached run)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalar(
            select(DagRun).where(DagRun.dag_id == dagrun.dag_id, DagRun.run_id == dagrun.run_id)
        )
        return None if run is None else run.note
