"""``ukg-visma settings``: show the validated settings the DAGs will use."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "settings", help="validate include/mappings/settings.yaml and print the result"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ukg_visma.settings import load_settings

    print(json.dumps(load_settings().model_dump(), indent=2))
    return 0
