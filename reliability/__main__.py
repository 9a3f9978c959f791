"""``python -m reliability [--seed N] [--runs M]``: the fault campaign, its figures printed.

Sets up what ``make test`` sets up (an isolated Airflow home, migrated; both sandbox servers as
subprocesses), runs the campaign and exits non-zero on any duplicate, lost record or step that did
not converge.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def prepare(home: Path) -> None:
    """Environment before anything imports Airflow (as tests/conftest.py does)."""
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
    os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "ERROR"
    # plugins and the repo root first: ``tests/ukg_visma`` and ``tests/sandbox`` are test folders
    helpers = ROOT / "tests" / "ukg_visma" / "tasks" / "employee_sync"  # employee_sync_helpers
    for path in (helpers, ROOT / "tests", ROOT, ROOT / "plugins"):
        sys.path.insert(0, str(path))


def report(campaign: object, say: object = print) -> None:
    fig = campaign.fig
    say("")
    say(f"seed {campaign.seed}, {sum(fig.steps.values())} steps: "
        + ", ".join(f"{k} {v}" for k, v in sorted(fig.steps.items())))  # fmt: skip
    say(f"injected faults: {fig.injected}")
    for kind, n in sorted(fig.faults.items(), key=lambda kv: (-kv[1], kv[0])):
        say(f"  {n:5d}  {kind}")
    say(f"DAG runs: {fig.dag_runs} (re-runs of a failed or killed run, same run id: "
        f"{fig.reruns}; of those after the faults were cleared: {fig.clean_reruns})")  # fmt: skip
    say(f"task retries: {fig.task_retries}")
    say(
        f"employee changes sent: {fig.employee_changes}; Visma employees at the end: "
        f"{fig.visma_employees}; live journals of ours in Visma: {fig.journals}"
    )
    say(f"duplicates: {fig.duplicates}")
    say(f"lost records: {fig.lost}")
    times = sorted(fig.converge_s)
    say(f"time to converge per step: median {statistics.median(times):.1f} s, "
        f"p90 {times[int(0.9 * (len(times) - 1))]:.1f} s, max {times[-1]:.1f} s")  # fmt: skip
    say(f"steps not converged / judged wrong: {len(fig.failures)}")
    for failure in fig.failures:
        say(f"  {failure[:600]}")
    say(f"wall time: {campaign.elapsed:.0f} s; load average at the end: "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--runs", type=int, default=32, help="campaign steps (DAG runs judged)")
    parser.add_argument("--employees", type=int, default=300)
    parser.add_argument("--no-kill", action="store_true", help="no SIGKILLed task processes")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ukgv-reliability-"))
    prepare(work / "airflow")
    import subprocess

    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    airflow = Path(sys.executable).parent / "airflow"
    (work / "airflow").mkdir()
    out = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True)
    if out.returncode:
        print(out.stdout[-3000:], out.stderr[-3000:])
        return 2

    from sandbox_fixture import Sandbox

    from reliability.campaign import Campaign

    # Airflow's task logs go to a file, the campaign's lines to the terminal.
    terminal = os.fdopen(os.dup(1), "w", buffering=1)
    log = (work / "campaign.log").open("w")
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)

    def say(text: str) -> None:
        terminal.write(text + "\n")

    say(f"work dir {work} (Airflow output: {work / 'campaign.log'})")
    box = Sandbox(work / "sandbox").start()
    try:
        box.reset(scenario="manufacturer", seed=args.seed, employees=args.employees, drift=False)
        campaign = Campaign(
            box, work, seed=args.seed, runs=args.runs, allow_kill=not args.no_kill, say=say
        )
        os.environ.update(campaign.environment())
        campaign.run()
    finally:
        box.stop()
    report(campaign, say)
    fig = campaign.fig
    return 1 if fig.duplicates or fig.lost or fig.failures else 0


if __name__ == "__main__":
    sys.exit(main())
