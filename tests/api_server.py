"""A real ``airflow api-server`` for a test: started on a free port, waited for, stopped.

Shared by the tests that need the plugin served for real (the report page and Test button, the
webhook receiver, the Execution API the LocalExecutor's supervisor talks to). One place decides
how the server is started (one worker, its own process group so a stop takes its children too)
and how long a start may take on a loaded 2-core machine.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

AIRFLOW = str(Path(sys.executable).parent / "airflow")
START_TIMEOUT = 180.0


def free_port() -> int:
    """A port the OS has just handed out (the server binds it a moment later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(base: str) -> bool:
    return httpx.get(f"{base}/api/v2/monitor/health", timeout=5).status_code == 200


@contextmanager
def api_server(
    env: Mapping[str, str],
    log_path: Path,
    *,
    port: int | None = None,
    ready: Callable[[str], bool] = _healthy,
) -> Iterator[str]:
    """Run ``airflow api-server`` with ``env``, output to ``log_path``; yields its base URL once
    ``ready(base)`` is true (default: the health endpoint answers 200)."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [AIRFLOW, "api-server", "--port", str(port), "--host", "127.0.0.1", "--workers", "1"],
            env=dict(env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                assert server.poll() is None, log_path.read_text()[-3000:]
                try:
                    if ready(base):
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "api-server did not come up"
                time.sleep(0.5)
            yield base
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
