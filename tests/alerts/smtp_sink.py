"""A real SMTP server on localhost (aiosmtpd) that keeps every message it receives."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpSink:
    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"

    def start(self) -> SmtpSink:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def connection_uri(self) -> str:
        """``AIRFLOW_CONN_*`` value of an SMTP connection to this sink (plain SMTP, no login)."""
        return json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": self.port,
                "extra": {
                    "from_email": "airflow@ukg-visma.test",
                    "disable_ssl": True,
                    "disable_tls": True,
                    "retry_limit": 1,
                    "timeout": 10,
                },
            }
        )

    def wait_for(self, count: int = 1, timeout: float = 120) -> list[EmailMessage]:
        """Waits until ``count`` messages arrived (the timeout only guards a hang)."""
        end = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < end:
            time.sleep(0.2)
        return list(self.messages)


def body_text(msg: EmailMessage) -> str:
    """Every text part of the message, decoded."""
    parts = [p for p in msg.walk() if p.get_content_type() in ("text/html", "text/plain")]
    return "\n".join(str(p.get_content()) for p in parts)
