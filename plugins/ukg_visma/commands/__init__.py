"""Subcommands of the ``ukg-visma`` CLI.

Each module exposes ``register(subparsers)``; it adds its parser and sets ``func`` to a handler
that returns the exit code. Handlers import their heavy dependencies lazily so that
``ukg-visma --help`` stays instant.
"""

MODULES: tuple[str, ...] = (
    "ukg_visma.commands.settings",
    "ukg_visma.commands.demo",
    "ukg_visma.commands.ping",
    "ukg_visma.commands.sandbox",
    "ukg_visma.commands.audit",
    "ukg_visma.commands.reverse",
    "ukg_visma.commands.deploy_check",
)
