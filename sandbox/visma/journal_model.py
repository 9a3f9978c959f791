"""Journal transactions: apply a create/update body to a stored batch, validate, render the DTO.

Why kept apart from the routes: the rules (balance, periods, accounts, segments, projects, the
Hold/Balanced/Posted statuses) are the part most worth reading and testing on their own.
Stored amounts are strings of exact øre values; the DTO renders them as JSON numbers.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sandbox.visma.errors import VismaError
from sandbox.visma.ledger import NON_PROJECT, Ledger
from sandbox.visma.util import amount, dto_value, money, parse_date

_HEADER_SCALARS = (
    "ledger",
    "currencyId",
    "description",
    "branch",
    "transactionCode",
    "autoReversing",
    "createVatTransaction",
    "skipVatAmountValidation",
)
_LINE_TEXTS = (
    "referenceNumber",
    "transactionDescription",
    "branch",
    "uom",
    "note",
    "vatCodeId",
    "vatId",
)


def new_batch(batch_number: str) -> dict[str, Any]:
    """An empty batch with the defaults the real service fills in."""
    return {
        "batchNumber": batch_number,
        "module": "GL",
        "status": "Balanced",
        "hold": False,
        "transactionDate": None,
        "financialPeriod": None,
        "ledger": "1",
        "currencyId": "NOK",
        "exchangeRate": 1,
        "autoReversing": False,
        "reversingEntry": False,
        "description": "",
        "originalBatchNumber": "",
        "controlTotalInCurrency": "0.00",
        "createVatTransaction": False,
        "skipVatAmountValidation": False,
        "transactionCode": "",
        "branch": "1",
        "lines": [],
    }


def _explicit_period(body: dict[str, Any]) -> str | None:
    """``financialPeriod`` (YYYYPP) or ``postPeriod`` (MMYYYY) when given; they must agree."""
    financial = dto_value(body, "financialPeriod")
    post = dto_value(body, "postPeriod")
    from_post = f"{post[2:]}{post[:2]}" if isinstance(post, str) and len(post) == 6 else None
    if post is not None and from_post is None:
        raise VismaError(f"postPeriod '{post}' must be MMYYYY.", code="12013")
    if financial is not None and (not isinstance(financial, str) or len(financial) != 6):
        raise VismaError(f"financialPeriod '{financial}' must be YYYYPP.", code="12013")
    if financial and from_post and financial != from_post:
        raise VismaError(
            f"financialPeriod {financial} and postPeriod {post} disagree.", code="12013"
        )
    return financial or from_post


def apply_header(batch: dict[str, Any], body: dict[str, Any], ledger: Ledger) -> None:
    """Copy the ``{"value": x}`` header fields present in ``body`` onto the batch."""
    if "transactionDate" in body:
        tran_date = parse_date(dto_value(body, "transactionDate"), "transactionDate")
        batch["transactionDate"] = f"{tran_date.isoformat()}T00:00:00"
    if not batch["transactionDate"]:
        raise VismaError("transactionDate is required.", code="12004")
    explicit = _explicit_period(body)
    if explicit:
        batch["financialPeriod"] = explicit
    elif batch["financialPeriod"] is None:
        tran_date = date.fromisoformat(batch["transactionDate"][:10])
        batch["financialPeriod"] = f"{tran_date.year}{tran_date.month:02d}"
    ledger.open_period(batch["financialPeriod"])
    for field in _HEADER_SCALARS:
        if field in body:
            value = dto_value(body, field)
            batch[field] = value if value is not None else batch[field]
    if batch["currencyId"] != "NOK":
        raise VismaError(f"Currency '{batch['currencyId']}' is not enabled.", code="12014")
    if "controlTotalInCurrency" in body:
        batch["controlTotalInCurrency"] = str(
            amount(dto_value(body, "controlTotalInCurrency"), "controlTotalInCurrency")
        )
    if "hold" in body:
        batch["hold"] = bool(dto_value(body, "hold"))


def _line_number(item: dict[str, Any]) -> int | None:
    value = dto_value(item, "lineNumber")
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise VismaError(f"lineNumber '{value}' is not a number.", code="12015") from None


def _fill_line(line: dict[str, Any], item: dict[str, Any], ledger: Ledger) -> list[str]:
    """Apply the fields present in ``item`` to ``line``; return the problems of the result."""
    prefix = f"Line {line['lineNumber']}"
    if "accountNumber" in item:
        line["accountNumber"] = str(dto_value(item, "accountNumber") or "")
    if "subaccount" in item or not line["subaccount"]:
        line["subaccount"] = item.get("subaccount") or line["subaccount"]
    for field in ("project", "projectTask"):
        if field in item:
            value = dto_value(item, field)
            line[field] = str(value) if value not in (None, "") else None
    for field in _LINE_TEXTS:
        if field in item:
            value = dto_value(item, field)
            line[field] = None if value is None else str(value)
    for field, key in (("debitAmountInCurrency", "debit"), ("creditAmountInCurrency", "credit")):
        if field in item:
            line[key] = str(amount(dto_value(item, field), f"{prefix} {field}"))
    if "quantity" in item:
        line["quantity"] = str(amount(dto_value(item, "quantity"), f"{prefix} quantity"))
    errors = ledger.check_account(line["accountNumber"], prefix)
    resolved, seg_errors = ledger.resolve_subaccount(line["subaccount"], prefix)
    line["subaccount"] = resolved
    errors += seg_errors
    errors += ledger.check_project(line["project"], line["projectTask"], prefix)
    return errors


def apply_lines(batch: dict[str, Any], items: Any, ledger: Ledger, *, creating: bool) -> None:
    """Insert/Update/Delete lines; raise one 400 naming every bad line."""
    if items is None:
        items = []
    if not isinstance(items, list):
        raise VismaError("journalTransactionLines must be a list.", code="12016")
    errors: list[str] = []
    lines = batch["lines"]
    for item in items:
        if not isinstance(item, dict):
            raise VismaError("Each journal line must be an object.", code="12016")
        operation = str(item.get("operation") or "Insert").capitalize()
        number = _line_number(item)
        if operation == "Insert" or (creating and operation != "Delete"):
            next_number = max((line["lineNumber"] for line in lines), default=0) + 1
            line: dict[str, Any] = {
                "lineNumber": next_number,
                "accountNumber": None,
                "subaccount": [],
                "project": None,
                "projectTask": None,
                "debit": "0.00",
                "credit": "0.00",
                "quantity": "0.00",
                **dict.fromkeys(_LINE_TEXTS),
            }
            errors += _fill_line(line, item, ledger)
            lines.append(line)
        elif operation in ("Update", "Delete"):
            target = next((line for line in lines if line["lineNumber"] == number), None)
            if target is None:
                errors.append(f"Line {number}: no such line in batch {batch['batchNumber']}.")
            elif operation == "Delete":
                lines.remove(target)
            else:
                errors += _fill_line(target, item, ledger)
        else:
            errors.append(f"Unknown line operation '{item.get('operation')}'.")
    if errors:
        raise VismaError("; ".join(errors), code="12020")


def totals(batch: dict[str, Any]) -> tuple[Decimal, Decimal]:
    debit = sum((Decimal(line["debit"]) for line in batch["lines"]), Decimal("0.00"))
    credit = sum((Decimal(line["credit"]) for line in batch["lines"]), Decimal("0.00"))
    return debit, credit


def settle_status(batch: dict[str, Any], max_lines: int | None) -> None:
    """Hold stays Hold; otherwise the batch must have lines and balance to the øre."""
    if max_lines is not None and len(batch["lines"]) > max_lines:
        raise VismaError(
            f"The batch has {len(batch['lines'])} lines; at most {max_lines} are allowed.",
            code="12021",
        )
    if batch["hold"]:
        batch["status"] = "Hold"
        return
    if not batch["lines"]:
        raise VismaError("The batch has no lines.", code="12022")
    debit, credit = totals(batch)
    if debit != credit:
        raise VismaError(
            f"The batch is out of balance: debit total {debit} does not equal credit total "
            f"{credit}.",
            code="12023",
        )
    batch["status"] = "Balanced"


def render_line(line: dict[str, Any], ledger: Ledger) -> dict[str, Any]:
    account = ledger.accounts.get(line["accountNumber"] or "", {})
    project = line["project"]
    project_record = ledger.projects.get(project or "", {})
    tasks = {t["taskId"]: t for t in project_record.get("tasks", [])}
    return {
        "lineNumber": line["lineNumber"],
        "accountNumber": line["accountNumber"],
        "description": account.get("description", ""),
        "subaccount": {
            "subaccountNumber": ledger.subaccount_number(line["subaccount"]),
            "active": True,
            "segments": ledger.segment_dtos(line["subaccount"]),
        },
        "referenceNumber": line["referenceNumber"],
        "debitAmount": money(line["debit"]),
        "debitAmountInCurrency": money(line["debit"]),
        "creditAmount": money(line["credit"]),
        "creditAmountInCurrency": money(line["credit"]),
        "transactionDescription": line["transactionDescription"],
        "vatCode": None,
        "vat": None,
        "branch": line["branch"] or "1",
        "customerSupplier": None,
        "transactionType": "N",
        "module": "GL",
        "uom": line["uom"],
        "project": {
            "internalId": project_record.get("internalID", 0),
            "id": project or NON_PROJECT,
            "description": project_record.get("description", "Non-Project Code."),
        },
        "projectTask": (
            {
                "id": line["projectTask"],
                "description": tasks.get(line["projectTask"], {}).get("description", ""),
            }
            if line["projectTask"]
            else None
        ),
        "attachments": [],
        "quantity": money(line["quantity"]),
        "inventoryNumber": None,
        "note": line["note"],
    }


def render(
    batch: dict[str, Any], ledger: Ledger, lines: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The JournalTransactionDto of a stored batch (optionally with a subset of its lines)."""
    debit, credit = totals(batch)
    period = batch["financialPeriod"]
    return {
        "module": batch["module"],
        "batchNumber": batch["batchNumber"],
        "status": batch["status"],
        "hold": batch["hold"],
        "transactionDate": batch["transactionDate"],
        "postPeriod": f"{period[4:]}{period[:4]}",
        "financialPeriod": period,
        "ledger": batch["ledger"],
        "ledgerDescription": "Actual ledger",
        "currencyId": batch["currencyId"],
        "exchangeRate": batch["exchangeRate"],
        "autoReversing": batch["autoReversing"],
        "reversingEntry": batch["reversingEntry"],
        "description": batch["description"],
        "originalBatchNumber": batch["originalBatchNumber"],
        "debitTotal": money(debit),
        "debitTotalInCurrency": money(debit),
        "creditTotal": money(credit),
        "creditTotalInCurrency": money(credit),
        "controlTotal": money(batch["controlTotalInCurrency"]),
        "controlTotalInCurrency": money(batch["controlTotalInCurrency"]),
        "createVatTransaction": batch["createVatTransaction"],
        "skipVatAmountValidation": batch["skipVatAmountValidation"],
        "lastModifiedDateTime": batch["lastModifiedDateTime"],
        "transactionCode": batch["transactionCode"],
        "transactionCodeDescription": "",
        "branch": batch["branch"],
        "timeStamp": batch["timeStamp"],
        "journalTransactionLines": [
            render_line(line, ledger) for line in (batch["lines"] if lines is None else lines)
        ],
        "attachments": [],
    }
