"""``ukg://`` and ``visma://`` assets as OpenLineage datasets (called by the OpenLineage provider).

Registered in ``provider_info`` (``asset-uris``): Airflow's providers manager hands an asset of
these schemes to ``to_dataset`` when the OpenLineage listener reads the hook lineage collector.
Namespace = the service's host and tenant, name = what was read or written; the asset's extra
(period, run id and version, lines, totals) becomes the dataset's ``ukgVismaPayroll`` facet.

Airflow imports this module whenever it builds a lineage collector — also the no-op one, when no
transport is configured — so the OpenLineage client is imported only inside ``to_dataset``,
which only the provider calls.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

PRODUCER = "https://github.com/ukg-visma/ukg-visma"
SCHEMA_URL = PRODUCER + "/blob/main/plugins/ukg_visma/lineage.py"  # the fields, documented
# facet field → type (the asset's extra as ukg_visma.lineage writes it)
FIELDS: dict[str, type] = {
    "period": str,
    "runId": str,
    "version": str,
    "lines": int,
    "journalKey": str,
    "batchNumber": str,
    "status": str,
    "debit": str,
    "credit": str,
}


@cache
def facet_class() -> type:
    """The ``ukgVismaPayroll`` facet (an OpenLineage ``DatasetFacet``), built on first use."""
    import attr
    from openlineage.client.facet_v2 import DatasetFacet

    attributes = {name: attr.field(default=None) for name in FIELDS}
    attributes["_get_schema"] = staticmethod(lambda: SCHEMA_URL)
    return attr.define(type("PayrollDatasetFacet", (DatasetFacet,), attributes))


def sanitize_uri(uri: SplitResult) -> SplitResult:
    """The asset URI handler: a host and a path are required (``ukg://host/tenant/...``)."""
    if not uri.netloc or uri.path.strip("/") == "":
        raise ValueError(f"{uri.scheme}:// lineage URIs need a host and a path")
    return uri


def to_dataset(asset: Any, lineage_context: Any = None) -> Any:
    """namespace ``ukg://<host>/<tenant>`` or ``visma://<host>/<tenant>``; name the rest."""
    from openlineage.client.event_v2 import Dataset

    parts = urlsplit(asset.uri)
    tenant, _, rest = parts.path.lstrip("/").partition("/")
    extra = dict(asset.extra or {})
    given = {k: kind(extra[k]) for k, kind in FIELDS.items() if extra.get(k) is not None}
    return Dataset(
        namespace=f"{parts.scheme}://{parts.netloc}/{unquote(tenant)}",
        name=unquote(rest),
        facets={"ukgVismaPayroll": facet_class()(**given)},
    )
