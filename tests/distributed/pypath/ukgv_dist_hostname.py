"""``[core] hostname_callable`` for the distributed tier: each Celery worker names itself.

Both workers run on one machine, so ``socket.getfqdn()`` would give every task instance the same
``hostname`` and the tests could not tell which worker ran what. In production each worker is its
own container or host and the default callable already differs; here the harness sets
``UKGV_WORKER_NAME`` per worker process (inherited by the task processes it forks) and Airflow
records that name as the task instance's hostname. Processes without it (scheduler, api-server,
...) keep the normal fully qualified domain name.
"""

from __future__ import annotations

import os
import socket


def get_hostname() -> str:
    return os.environ.get("UKGV_WORKER_NAME") or socket.getfqdn()
