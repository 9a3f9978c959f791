"""The fault catalogue: what the campaign injects, drawn from a seeded ``random.Random``.

A rule is installed through the sandbox's ``/_sandbox/faults``; it counts as *injected* only when
the sandbox's call log shows that it fired (a rule nobody hit is cleared at the end of its run
and not counted). Events outside the HTTP edge (restart, kill, revoked tokens, a concurrent
writer, webhook loss, bad records) are counted when they happen.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

# (server, method, path regex) the pipelines call; drawn at random for status/latency faults.
PAYROLL_TARGETS = [
    ("visma", "GET", r"^/v2/journaltransaction$"),
    ("visma", "POST", r"^/v2/journaltransaction$"),
    ("visma", "PUT", r"^/v2/journaltransaction/[^/]+$"),
    ("visma", "POST", r"/action/release$"),
    ("visma", "GET", r"^/v1/(account|financialPeriod|dimension|project)"),
    ("ukg", "GET", r"^/payroll/v2/general-ledger"),
    ("ukg", "GET", r"^/payroll/v1/paygroup-payperiods"),
    ("ukg", "GET", r"^/payroll/v1/pay-register"),
]
EMPLOYEE_TARGETS = [
    ("ukg", "GET", r"^/personnel/v1/"),
    ("visma", "GET", r"^/v1/employee"),
    ("visma", "POST", r"^/v1/employee$"),
    ("visma", "PUT", r"^/v1/employee/[^/]+$"),
    ("visma", "GET", r"^/v1/department"),
]
TARGETS = {"payroll": PAYROLL_TARGETS, "employee": EMPLOYEE_TARGETS}
DROPS = {
    "payroll": [
        ("POST", r"^/v2/journaltransaction$", "POST"),
        ("PUT", r"^/v2/journaltransaction/[^/]+$", "PUT"),
        ("POST", r"/action/release$", "release"),
    ],
    "employee": [("POST", r"^/v1/employee$", "POST"), ("PUT", r"^/v1/employee/[^/]+$", "PUT")],
}
TOKEN_PATHS = {"visma": r"^/connect/token$", "ukg": r"^/signin/oauth2/"}
# Malformed answers (the sandbox's ``body`` faults): what gateways and proxies really send.
MALFORMED = ["html_page", "proxy_error_page", "empty_200", "truncated_json", "cut_after_commit",
             "extra_fields", "wrong_shape"]  # fmt: skip


def _malformed(
    rng: random.Random, plan: Plan, kind: str, pipeline: str, target: tuple[str, str, str]
) -> None:
    """One malformed-answer rule. Reads get up to four in a row (the hook reads three times,
    then the task retries); writes get one, half of them after the endpoint committed."""
    server, method, path = target
    write = method != "GET"
    if kind == "html_page":
        plan.add(server, method=method, path=path, body="html",
                 commit=write and rng.random() < 0.5,
                 times=1 if write else rng.randint(1, 4))  # fmt: skip
    elif kind == "proxy_error_page":
        plan.add(server, method=method, path=path, body="html", status=rng.choice([502, 503]),
                 times=rng.randint(1, 2))  # fmt: skip
    elif kind == "empty_200":
        plan.add(server, method=method, path=path, body="empty",
                 commit=write and rng.random() < 0.5,
                 times=1 if write else rng.randint(1, 3))  # fmt: skip
    elif kind == "truncated_json":
        server, method, path = rng.choice([t for t in TARGETS[pipeline] if t[1] == "GET"])
        plan.add(server, method=method, path=path, body="truncated", times=rng.randint(1, 3))
    elif kind == "cut_after_commit":
        method, path, _ = rng.choice(DROPS[pipeline])
        plan.add("visma", method=method, path=path, body="cut", times=1)
    elif kind == "extra_fields":
        plan.add(rng.choice(["ukg", "visma"]), path=".*", body="extra_fields",
                 times=rng.randint(2, 6))  # fmt: skip
    elif kind == "wrong_shape":
        server, method, path = rng.choice([t for t in TARGETS[pipeline] if t[1] == "GET"])
        plan.add(server, method=method, path=path, body="wrong_shape", times=rng.randint(1, 2))


@dataclass
class Plan:
    """What one run gets: fault rules per server, sandbox settings, mid-run events."""

    rules: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"ukg": [], "visma": []})
    token_lifetime: dict[str, int] = field(default_factory=dict)
    restart: str | None = None  # server restarted mid-run
    revoke: bool = False  # every issued token revoked mid-run
    kill_mid_post: bool = False  # the task process SIGKILLed inside a journal POST
    writers: int = 0  # concurrent writers on Visma employees (real 412s)
    labels: list[str] = field(default_factory=list)

    def add(self, server: str, **rule: Any) -> None:
        self.rules[server].append(rule)


def draw(rng: random.Random, pipeline: str, *, read_timeout: float, allow_kill: bool) -> Plan:
    """Four to seven faults for one run of ``pipeline`` (``payroll`` or ``employee``)."""
    targets = PAYROLL_TARGETS if pipeline == "payroll" else EMPLOYEE_TARGETS
    plan = Plan()
    kinds = [
        "429_retry_after", "429_no_retry_after", "5xx", "5xx", "drop_after_commit",
        "latency_past_timeout", "token_expiry", "token_endpoint_outage", "restart", "revoke",
        "412", *MALFORMED,
    ]  # fmt: skip
    if pipeline == "payroll" and allow_kill:
        kinds.append("kill_mid_post")
    for kind in rng.sample(kinds, rng.randint(4, 7)):
        server, method, path = rng.choice(targets)
        if kind == "429_retry_after":
            plan.add(server, method=method, path=path, status=429, retry_after=1,
                     times=rng.randint(1, 3))  # fmt: skip
        elif kind == "429_no_retry_after":
            plan.add(server, method=method, path=path, status=429, times=rng.randint(1, 3))
        elif kind == "5xx":
            plan.add(server, method=method, path=path, status=rng.choice([500, 502, 503]),
                     times=rng.randint(1, 2))  # fmt: skip
        elif kind == "drop_after_commit":
            method, path, _ = rng.choice(DROPS[pipeline])
            plan.add("visma", method=method, path=path, drop_response_after_commit=True,
                     times=rng.randint(1, 2))  # fmt: skip
        elif kind == "latency_past_timeout":
            plan.add(server, method=method, path=path,
                     latency_ms=int((read_timeout + 1.0) * 1000), times=1)  # fmt: skip
        elif kind == "token_expiry":
            plan.token_lifetime[rng.choice(["ukg", "visma"])] = rng.choice([2, 3])
        elif kind == "token_endpoint_outage":
            which = rng.choice(["ukg", "visma"])
            plan.add(which, path=TOKEN_PATHS[which], status=rng.choice([500, 503]),
                     times=rng.randint(1, 2))  # fmt: skip
            plan.revoke = True  # so that a token is needed while the endpoint is down
        elif kind == "restart":
            plan.restart = rng.choice(["ukg", "visma"])
        elif kind == "revoke":
            plan.revoke = True
        elif kind == "412":
            if pipeline == "employee":
                plan.writers = rng.randint(1, 2)
            else:
                plan.add("visma", method="PUT", path=r"^/v2/journaltransaction/[^/]+$",
                         status=412, times=1)  # fmt: skip
        elif kind == "kill_mid_post":
            plan.kill_mid_post = True
        elif kind in MALFORMED:
            _malformed(rng, plan, kind, pipeline, (server, method, path))
        plan.labels.append(kind)
    return plan


def label(rule: dict[str, Any]) -> str:
    """The kind a fault rule is reported under."""
    path = rule.get("path", "")
    body = rule.get("body")
    if body is not None:
        what = "release" if "release" in path else rule.get("method") or "any"
        after = f" after commit ({what})" if rule.get("commit") else f" ({what})"
        if body == "html":
            status = rule.get("status") or 200
            if status != 200:
                return f"HTML error page from a proxy ({status})"
            return "HTML page with 200" + after
        if body == "empty":
            return "empty body with 200" + after
        if body == "cut":
            return f"JSON cut mid-body, connection closed after commit ({what})"
        return {"truncated": "truncated JSON (complete answer)",
                "extra_fields": "unknown extra fields",
                "wrong_shape": "JSON of the wrong shape"}[body]  # fmt: skip
    if path in TOKEN_PATHS.values():
        return f"token endpoint outage ({rule['status']})"
    if rule.get("drop_response_after_commit"):
        what = "release" if "release" in path else rule.get("method")
        return f"response dropped after commit ({what})"
    if rule.get("latency_ms"):
        return "latency past the client timeout"
    status = rule.get("status")
    if status == 429:
        with_header = rule.get("retry_after") is not None
        return "429 with Retry-After" if with_header else "429 (no Retry-After)"
    if status == 412:
        return "412 (If-Match race)"
    return str(status)


def unfaulted(calls: list[dict[str, Any]]) -> tuple[int, int]:
    """(412 answers no rule made — a concurrent writer's —, tokens issued) in a call log."""
    conflicts = sum(1 for c in calls if c.get("fault") is None and c.get("status") == 412)
    tokens = sum(
        1 for c in calls
        if ("token" in c["path"] or "/signin/oauth2/" in c["path"]) and c.get("status") == 200
    )  # fmt: skip
    return conflicts, tokens
