"""What a credit note credits, through the pricing engine (``synthesq.core.pricing``): the invoice's stored lines
and charges as engine items (their net, tax per rate and gross as invoiced, never recomputed), what the invoice's
earlier credit notes credited per invoice line (``CreditNote.credited_items``), and the check that no line's net
and no rate's tax is ever credited beyond what was invoiced.

Returned units are credited by ``credit_for_quantity`` (cumulative rounding: the last unit of a line takes what is
left); an amount by ``credit_for_amount`` (split over the invoice's rates in proportion to their gross). The
engine does every rounding and allocation; this module only converts and compares.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sales.pricing import item_taxes, rate_fields
from synthesq.core.money import format_amount
from synthesq.core.pricing import (
    UNTAXED,
    CreditExceedsInvoice,
    Document,
    ItemResult,
    Rate,
    combine_documents,
    document_of,
)

from ..models import CreditNote, Invoice, InvoiceLine

PERCENT = Decimal("0.0001")


def rate_of(row: dict[str, Any]) -> Rate:
    """A rate as the invoice stores it (``{"name", "rate", "country", "region", ...}``) for the engine."""
    return Rate(name=row.get("name", ""), percent=Decimal(str(row.get("rate", 0))).quantize(PERCENT),
                country=row.get("country", ""), region=row.get("region", ""))


def item_key(line: InvoiceLine) -> str:
    return str(line.pk)


def invoice_item(line: InvoiceLine, currency: str) -> ItemResult:
    """An invoice line (or charge) as invoiced: its stored net, gross and tax per rate."""

    def money(value: Any) -> Decimal:
        return Decimal(format_amount(Decimal(str(value)), currency) or "0")

    taxes = tuple((rate_of(row), money(row.get("tax_amount", 0))) for row in line.taxes or ())
    return ItemResult(key=item_key(line), net=money(line.net_amount), tax=money(line.tax_amount),
                      gross=money(line.gross_amount), rate_percent=Decimal(line.tax_rate).quantize(PERCENT),
                      taxes=taxes)


def invoice_priced(invoice: Invoice) -> Document:
    """The invoice as the engine sees it (its lines prefetched in position order)."""
    return document_of([invoice_item(line, invoice.currency) for line in invoice.lines.all()], invoice.currency)


def items_json(document: Document, currency: str) -> list[dict[str, Any]]:
    """A credit's items as ``CreditNote.credited_items`` keeps them."""
    return [{"invoice_line_id": int(item.key), "net_amount": format_amount(item.net, currency),
             "tax_amount": format_amount(item.tax, currency), "gross_amount": format_amount(item.gross, currency),
             "rate_percent": str(item.rate_percent), "taxes": item_taxes(item, currency)}
            for item in document.items]


def _item_of_json(row: dict[str, Any]) -> ItemResult:
    taxes = tuple((rate_of(tax), Decimal(tax["tax_amount"])) for tax in row["taxes"])
    return ItemResult(key=str(row["invoice_line_id"]), net=Decimal(row["net_amount"]),
                      tax=Decimal(row["tax_amount"]), gross=Decimal(row["gross_amount"]),
                      rate_percent=Decimal(row["rate_percent"]), taxes=taxes)


def credited_before(credit_notes: Iterable[CreditNote], currency: str) -> Document | None:
    """What the given credit notes credited, per invoice line (None when nothing was)."""
    documents = [document_of([_item_of_json(row) for row in note.credited_items], currency)
                 for note in credit_notes if note.credited_items]
    return combine_documents(documents, currency) if documents else None


def rows_json(document: Document, currency: str) -> list[dict[str, Any]]:
    """The breakdown as documents store it: one row per rate, taxable amount and tax."""
    return [{**rate_fields(row.rate), "taxable_amount": format_amount(row.taxable, currency),
             "tax_amount": format_amount(row.tax, currency)} for row in document.rows]


def line_taxes_json(document: Document, currency: str) -> list[dict[str, Any]]:
    """The tax per rate of one credit note line (the untaxed part has none)."""
    return [{**rate_fields(row.rate), "tax_amount": format_amount(row.tax, currency)}
            for row in document.rows if row.rate != UNTAXED]


def check_within_invoice(invoiced: Document, credited: Document) -> None:
    """Refuse (``CreditExceedsInvoice``) when, on any invoice line, the net or one rate's tax credited so far
    exceeds what was invoiced."""
    lines = {item.key: item for item in invoiced.items}
    for item in credited.items:
        line = lines[item.key]
        invoiced_taxes = dict(line.taxes)
        if item.net > line.net or item.gross > line.gross:
            raise CreditExceedsInvoice(f"invoice line {item.key}: more than its net")
        for rate, tax in item.taxes:
            if tax > invoiced_taxes.get(rate, Decimal(0)):
                raise CreditExceedsInvoice(f"invoice line {item.key}: more than its {rate.name} tax")


def combined(documents: Sequence[Document | None], currency: str) -> Document:
    return combine_documents([document for document in documents if document is not None], currency)
