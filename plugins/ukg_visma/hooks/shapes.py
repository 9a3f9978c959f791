"""What a 2xx answer must look like before anyone uses it (issue #14: malformed answers).

Why: a proxy's 200 login page, an empty 200 or an object where a list belongs used to reach the
callers as ``None`` or a dict — and an empty journal listing read as "Visma holds nothing" is how
a journal gets posted twice. Every named hook method declares an :class:`Expect`; the hooks check
it (``ApiHook._json``) and raise ``MalformedResponseError`` naming the endpoint, the status, the
content type and an excerpt, and for a missing field the record and the field.

Only what the connector relies on is checked: the shape, and the identifying fields it reads by
name. Unknown extra fields are ignored (Visma adds fields without notice); records whose other
fields are bad are the domain parsers' business (GL lines and employee snapshots are quarantined
or refused there, one record at a time), so UKG's records carry no required fields here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

# Where a page's records live in an object body (``paging.items_of`` reads the same keys).
LIST_KEYS = ("value", "items", "data", "results")


@dataclass(frozen=True)
class Expect:
    """The promised shape of one endpoint's answer.

    ``kind``: ``list`` (a JSON array of records), ``object`` (one record) or ``page`` (an array,
    or an object with the array under one of :data:`LIST_KEYS`). ``required``: fields every record
    must carry with a value; ``"a|b"`` accepts either name (the APIs spell some ids two ways).
    """

    what: str
    kind: Literal["list", "object", "page"]
    required: tuple[str, ...] = ()

    def records(self, body: Any) -> list[Any] | None:
        """The records of a list/page body, or None when the body does not have that shape."""
        if isinstance(body, list):
            return body
        if self.kind == "page" and isinstance(body, Mapping):
            for key in LIST_KEYS:
                if isinstance(body.get(key), list):
                    return list(body[key])
        return None

    def problem(self, body: Any) -> str | None:
        """Why ``body`` is not what was promised (shape first, then fields), or None."""
        if self.kind == "object":
            if not isinstance(body, Mapping):
                return f"expected {self.what} (a JSON object), got {_shape(body)}"
            return self.missing(body, None)
        records = self.records(body)
        if records is None:
            wanted = "a JSON array" if self.kind == "list" else "a JSON array or a page object"
            return f"expected {self.what} ({wanted}), got {_shape(body)}"
        for index, record in enumerate(records, start=1):
            if not isinstance(record, Mapping):
                return f"{self.what}: record {index} is {_shape(record)}, not an object"
            missing = self.missing(record, index)
            if missing:
                return missing
        return None

    def missing(self, record: Mapping[str, Any], index: int | None) -> str | None:
        """The first required field ``record`` lacks (or holds null), named with the record."""
        for field in self.required:
            names = field.split("|")
            if not any(record.get(name) not in (None, "") for name in names):
                which = f"record {index} of {self.what}" if index else self.what
                label = _label(record, self.required)
                also = f" (nor {', '.join(names[1:])})" if len(names) > 1 else ""
                return f"{which}{label} has no {names[0]}{also}"
        return None


def _label(record: Mapping[str, Any], required: tuple[str, ...]) -> str:
    """`` (batchNumber 000123)``: the first identifying field the record does carry."""
    for field in required:
        for name in field.split("|"):
            value = record.get(name)
            if isinstance(value, Mapping):
                value = value.get("value")
            if value not in (None, "") and isinstance(value, str | int):
                return f" ({name} {str(value)[:40]})"
    return ""


def _shape(value: Any) -> str:
    """A short description of a JSON value's shape, e.g. ``an object with keys count, records``."""
    if isinstance(value, Mapping):
        keys = ", ".join(str(k) for k in list(value)[:5]) + (", …" if len(value) > 5 else "")
        return f"an object with keys {keys}" if value else "an empty object"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    if value is None:
        return "null"
    return f"a {type(value).__name__} value"
