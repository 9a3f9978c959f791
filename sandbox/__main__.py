"""``python -m sandbox``: run the UKG Pro and Visma.net sandboxes in the foreground.

Both servers run real uvicorn in threads of this process; SIGTERM/SIGINT stop them gracefully.
Port 0 picks a free port; the last line printed, ``SANDBOX READY {...json...}``, names the real
URLs (the pytest fixture waits for it). ``--only ukg|visma`` runs one server (so that a test can
restart one without the other).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from sandbox.common import ServerThread
from sandbox.common.app import SandboxApp


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--ukg-port", type=int, default=8701, help="0 = any free port")
    p.add_argument("--visma-port", type=int, default=8702, help="0 = any free port")
    p.add_argument("--only", choices=("ukg", "visma"), help="run just one of the two servers")
    p.add_argument("--scenario", default="manufacturer", choices=("manufacturer",))
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--employees", type=int, default=1200)
    p.add_argument("--latency-ms", type=int, default=0, help="added to every API call")
    p.add_argument("--data-dir", default="sandbox-data", help="state survives restarts here")
    p.add_argument("--token-lifetime", type=int, default=3600, help="seconds, both servers")
    p.add_argument("--block-size", type=int, default=2000, help="UKG GL lines per block")
    p.add_argument("--visma-segments", choices=("full", "empty"), default="full")
    p.add_argument("--cost-centers", type=int, default=15, help="UKG cost centres (15 or more)")
    p.add_argument("--ukg-rate-limit", type=int, default=None, help="calls/minute (default: off)")
    p.add_argument("--visma-rate-limit", type=int, default=6000, help="calls/minute")
    p.add_argument("--log-level", default="warning")
    p.add_argument("--parent-pid", type=int, help="stop when this process is gone (test runners)")
    return p


def _ukg_app(args: argparse.Namespace, options: dict[str, Any]) -> Any:
    from sandbox.ukg import UkgConfig, create_app

    return create_app(
        UkgConfig(
            data_dir=args.data_dir,
            scenario=args.scenario,
            seed=args.seed,
            employees=args.employees,
            options=options,
            token_lifetime=args.token_lifetime,
            latency_ms=args.latency_ms,
            rate_limit_per_minute=args.ukg_rate_limit,
            block_size=args.block_size,
        )
    )


def _visma_app(args: argparse.Namespace, options: dict[str, Any]) -> Any:
    from sandbox.visma import VismaConfig
    from sandbox.visma.tenants import TenantRouter

    reset = {"scenario": args.scenario, "seed": args.seed, "employees": args.employees, **options}
    # one host, one Visma company per tenant id (sandbox.visma.tenants); the first is the default
    return TenantRouter(
        VismaConfig(
            data_dir=args.data_dir,
            token_lifetime=args.token_lifetime,
            latency_ms=args.latency_ms,
            rate_limit_per_minute=args.visma_rate_limit,
            initial_reset=reset,
        )
    )


def _credentials(app: Any, url: str) -> dict[str, Any]:
    """What ``GET /_sandbox/credentials`` would answer for ``url``."""
    return app.sandbox.hooks.credentials(url)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {
        "visma_segments": args.visma_segments,
        "cost_centers": args.cost_centers,
    }
    wanted = [args.only] if args.only else ["ukg", "visma"]
    factories = {"ukg": (_ukg_app, args.ukg_port), "visma": (_visma_app, args.visma_port)}
    servers: dict[str, ServerThread] = {}
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        for name in wanted:
            factory, port = factories[name]
            app = factory(args, options)
            servers[name] = ServerThread(app, args.host, port, log_level=args.log_level).start()
    except (RuntimeError, OSError, ValueError) as exc:
        print(f"sandbox failed to start: {exc}", file=sys.stderr)
        _stop(servers)
        return 1
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    urls = {name: f"http://{shown_host}:{server.port}" for name, server in servers.items()}
    print(f"data dir: {Path(args.data_dir).resolve()}")
    env: dict[str, str] = {}
    for name, server in servers.items():
        creds = _credentials(server.app, urls[name])
        env.update(creds.get("env", {}))
        shown = {k: v for k, v in creds.items() if k not in ("env", "connection")}
        print(f"{name}: {json.dumps(shown)}")
    for key, value in env.items():
        print(f"export {key}='{value}'")
    print(f"SANDBOX READY {json.dumps(urls)}", flush=True)
    while not stop.wait(0.5):
        if args.parent_pid and not _alive(args.parent_pid):
            print("parent process gone; stopping", file=sys.stderr)
            break
        dead = [n for n, s in servers.items() if not s._thread.is_alive()]
        if dead:
            print(f"sandbox server stopped unexpectedly: {dead}", file=sys.stderr)
            _stop(servers)
            return 1
    _stop(servers)
    print("sandbox stopped", flush=True)
    return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(servers: dict[str, ServerThread]) -> None:
    for server in servers.values():
        server.stop()
        if isinstance(server.app, SandboxApp):  # both servers' apps are: close their stores
            server.app.sandbox.store.close()


if __name__ == "__main__":
    sys.exit(main())
