"""``ukg://`` and ``visma://`` assets as OpenLineage datasets (called by the OpenLineage provider).

Registered in ``provider_info`` (``asset-uris``): Airflow's providers manager hands an asset of
these schemes to ``to_dataset`` when the OpenLineage listener reads the hook lineage collector.
Namespace = the service's host and tenant, name = what was read or written; the asset's extra
(period, run id and version, lines, totals) becomes the dataset's ``ukgVismaPayroll`` facet.
Only imported by the provider, i.e. only when an OpenLineage transport is configured.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

import attr
from openlineage.client.facet_v2 import DatasetFacet

PRODUCER = "https://github.com/ukg-visma/ukg-visma"
SCHEMA_URL = PRODUCER + "/blob/main/docs/lineage.md#ukgvismapayroll"


@attr.define
class PayrollDatasetFacet(DatasetFacet):
    """The pay period's figures of one dataset (a UKG GL run read, a Visma batch written)."""

    period: str | None = attr.field(default=None)
    runId: str | None = attr.field(default=None)
    version: str | None = attr.field(default=None)
    lines: int | None = attr.field(default=None)
    journalKey: str | None = attr.field(default=None)
    batchNumber: str | None = attr.field(default=None)
    status: str | None = attr.field(default=None)
    debit: str | None = attr.field(default=None)
    credit: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return SCHEMA_URL


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
    fields = {f.name for f in attr.fields(PayrollDatasetFacet)} - {"_producer", "_schemaURL"}
    given: dict[str, Any] = {k: type_of(k)(extra[k]) for k in fields if extra.get(k) is not None}
    facet = PayrollDatasetFacet(**given)
    return Dataset(
        namespace=f"{parts.scheme}://{parts.netloc}/{unquote(tenant)}",
        name=unquote(rest),
        facets={"ukgVismaPayroll": facet},
    )


def type_of(field: str) -> type:
    return int if field == "lines" else str
