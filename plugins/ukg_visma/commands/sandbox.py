"""``ukg-visma sandbox``: run the local UKG Pro + Visma.net sandboxes in the foreground.

Starts ``python -m sandbox`` as a subprocess (``ukg_visma`` never imports ``sandbox``: the two
meet only over HTTP) and forwards SIGINT/SIGTERM to it, so Ctrl-C stops both servers cleanly.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys

# (flag, type, default, help) — the same flags as ``python -m sandbox``.
FLAGS: tuple[tuple[str, type, object, str], ...] = (
    ("--host", str, "127.0.0.1", "interface to bind"),
    ("--ukg-port", int, 8701, "UKG Pro sandbox port (0 = any free port)"),
    ("--visma-port", int, 8702, "Visma.net sandbox port (0 = any free port)"),
    ("--scenario", str, "manufacturer", "generated customer"),
    ("--seed", int, 42, "scenario seed (same seed, same data)"),
    ("--employees", int, 1200, "employees in the scenario"),
    ("--latency-ms", int, 0, "latency added to every API call"),
    ("--data-dir", str, "sandbox-data", "state directory (survives restarts)"),
    ("--token-lifetime", int, 3600, "token lifetime in seconds (both servers)"),
    ("--block-size", int, 2000, "UKG GL lines per block"),
    ("--visma-segments", str, "full", "'empty' starts Visma without segment values"),
    ("--cost-centers", int, 15, "UKG cost centres (15 or more)"),
    ("--ukg-rate-limit", int, None, "UKG calls per minute (default: unlimited)"),
    ("--visma-rate-limit", int, 6000, "Visma calls per minute"),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sandbox", help="run the local UKG Pro and Visma.net sandbox servers (foreground)"
    )
    for flag, kind, default, text in FLAGS:
        parser.add_argument(flag, type=kind, default=default, help=f"{text} (default: {default})")
    parser.add_argument("--only", choices=("ukg", "visma"), help="run just one server")
    parser.set_defaults(func=_run)


def sandbox_argv(args: argparse.Namespace) -> list[str]:
    """The ``python -m sandbox`` command line for parsed ``ukg-visma sandbox`` arguments."""
    argv = [sys.executable, "-m", "sandbox"]
    for flag, _, _, _ in FLAGS:
        value = getattr(args, flag[2:].replace("-", "_"))
        if value is not None:
            argv += [flag, str(value)]
    if args.only:
        argv += ["--only", args.only]
    return argv


def _run(args: argparse.Namespace) -> int:
    child = subprocess.Popen(sandbox_argv(args))

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
