"""Long-running Airflow processes started by the harness: own process group, log file, clean end.

Every process is started in a new session (its own process group), writing stdout and stderr to
one log file, so that

- stopping it reaches everything it forked (gunicorn/uvicorn workers, Celery pool children, the
  serve-logs server): SIGTERM to the group, SIGKILL after a timeout;
- a crash can be simulated faithfully: :meth:`ManagedProcess.crash` SIGKILLs the group *and* every
  descendant that moved to a group of its own (Airflow puts each task runner in its own group),
  which is what a dead container or host does to a Celery worker;
- a failing test can print the tail of each log.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import psutil


class ManagedProcess:
    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._known: dict[int, psutil.Process] = {}
        self._log_offset = 0

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            log.write(f"\n==== start {' '.join(self.argv)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        self._known = {}
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _remember_tree(self) -> list[psutil.Process]:
        """Every live descendant, also remembered for later (a dead parent orphans them)."""
        if not self.alive():
            return [p for p in self._known.values() if _running(p)]
        try:
            root = psutil.Process(self.proc.pid)  # type: ignore[union-attr]
            for child in root.children(recursive=True):
                self._known.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass
        return [p for p in self._known.values() if _running(p)]

    def descendants(self) -> list[psutil.Process]:
        return self._remember_tree()

    def crash(self) -> None:
        """SIGKILL the whole tree at once, like a host or container dying."""
        tree = self._remember_tree()
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        for proc in tree:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        if self.proc is not None:
            self.proc.wait(timeout=30)
        psutil.wait_procs(tree, timeout=10)

    def terminate(self) -> None:
        """Ask the process group to stop (no wait): SIGTERM, as an orchestrator would."""
        self._remember_tree()
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)  # type: ignore[union-attr]

    def finish(self, deadline: float) -> bool:
        """Wait for a terminated process until ``deadline``; SIGKILL what is left. True if clean."""
        clean = True
        if self.proc is not None:
            try:
                self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                clean = False
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
            with contextlib.suppress(ProcessLookupError):  # stragglers left in the group
                os.killpg(self.proc.pid, signal.SIGKILL)
        left = [p for p in self._known.values() if _running(p)]
        for proc in left:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(left, timeout=10)
        return clean and not left

    def stop(self, timeout: float = 30) -> bool:
        self.terminate()
        return self.finish(time.monotonic() + timeout)

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def log_contains(self, needle: str) -> bool:
        """Whether the log written since the last :meth:`start` contains ``needle``."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                return needle.encode() in log.read()
        except FileNotFoundError:
            return False


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
