"""``ukg-visma sandbox``: starts ``python -m sandbox`` in the foreground and forwards SIGTERM."""

from __future__ import annotations

import ast
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ukg_visma.cli import build_parser
from ukg_visma.commands import sandbox as command

READY = "SANDBOX READY "


def test_flags_are_forwarded_to_python_m_sandbox():
    args = build_parser().parse_args(
        ["sandbox", "--ukg-port", "9001", "--seed", "7", "--data-dir", "/tmp/x", "--only", "ukg"]
    )
    argv = command.sandbox_argv(args)
    assert argv[:3] == [sys.executable, "-m", "sandbox"]
    pairs = dict(zip(argv[3::2], argv[4::2], strict=False))
    assert pairs["--ukg-port"] == "9001" and pairs["--seed"] == "7"
    assert pairs["--data-dir"] == "/tmp/x" and pairs["--only"] == "ukg"
    assert pairs["--visma-port"] == "8702" and pairs["--employees"] == "1200"
    assert "--ukg-rate-limit" not in pairs  # unset stays unset (unlimited)


def test_command_never_imports_the_sandbox_package():
    tree = ast.parse(Path(command.__file__).read_text())
    imported = {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}  # fmt: skip
    assert not any(name and name.split(".")[0] == "sandbox" for name in imported)


def test_runs_in_the_foreground_until_sigterm(tmp_path):
    script = shutil.which("ukg-visma") or str(Path(sys.executable).parent / "ukg-visma")
    cmd = [script, "sandbox", "--ukg-port", "0", "--visma-port", "0",
           "--data-dir", str(tmp_path), "--employees", "100"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 90
        urls = None
        while time.monotonic() < deadline and urls is None:
            line = proc.stdout.readline()
            assert line, "sandbox exited before it was ready"
            if line.startswith(READY):
                urls = json.loads(line[len(READY) :])
        assert urls is not None
        assert httpx.get(f"{urls['ukg']}/_sandbox/health").status_code == 200
        assert httpx.get(f"{urls['visma']}/_sandbox/health").status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
