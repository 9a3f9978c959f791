"""Faithful local stand-ins for UKG Pro and Visma.net ERP.

Reached only over HTTP: ``ukg_visma`` never imports this package and this package never imports
``ukg_visma`` (see ../README.md and sandbox/README.md).
"""
