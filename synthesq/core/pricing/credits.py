"""Credits against an invoice: part of a line's quantity, or a gross amount over the whole invoice."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from .document import document_of
from .model import CreditExceedsInvoice, Document, ItemResult, Rate
from .units import from_units, largest_remainder, round_half_up, to_units


def credit_for_quantity(
    invoiced: ItemResult, invoiced_quantity: int, returned_before: int, returning: int, currency: str
) -> ItemResult:
    """What ``returning`` of the ``invoiced_quantity`` units of an invoiced item credit, after ``returned_before``
    were credited: for the net and each rate's tax, round(x x (before + returning) / Q) - round(x x before / Q),
    so the parts of a line credited in any steps sum exactly to its net and to each rate's tax."""
    if invoiced_quantity <= 0 or returned_before < 0 or returning < 0:
        raise ValueError("quantities: invoiced above 0, returned before and returning not negative")
    if returned_before + returning > invoiced_quantity:
        raise CreditExceedsInvoice(f"item {invoiced.key!r}: {returned_before + returning} of {invoiced_quantity}")

    def part(amount: Decimal) -> int:
        whole = Fraction(to_units(amount, currency))
        after = round_half_up(whole * (returned_before + returning) / invoiced_quantity)
        return after - round_half_up(whole * returned_before / invoiced_quantity)

    net = part(invoiced.net)
    taxes = [part(share) for _, share in invoiced.taxes]
    return _item(invoiced, net, taxes, currency)


def credit_for_amount(document: Document, credited_before: Document | None, amount: Decimal, currency: str) -> Document:
    """A gross ``amount`` credited against the invoice ``document``, ``credited_before`` already credited (the
    credits so far, items keyed as the invoice's, e.g. ``combine_documents`` of them). The amount is shared over
    the invoice's items in proportion to their remaining gross (so over its rates in proportion to their gross,
    the untaxed gross its own bucket), then each item's share over its remaining net and remaining tax per rate,
    both by largest remainder to the minor unit: no part exceeds what remains of it, and crediting the whole
    remaining gross credits exactly every remaining net and tax. Items credited nothing are left out."""
    wanted = to_units(amount, currency, "credit amount")
    if wanted < 0:
        raise ValueError("a credit amount is not negative")
    remaining = _remaining(document, credited_before, currency)
    if wanted > sum(sum(parts) for parts in remaining):
        raise CreditExceedsInvoice(f"{amount} {currency} is more than the invoice's remaining gross")
    shares = largest_remainder(wanted, [Fraction(sum(parts)) for parts in remaining])
    credited = []
    for invoiced, parts, share in zip(document.items, remaining, shares, strict=True):
        if share:
            net, *taxes = largest_remainder(share, [Fraction(part) for part in parts])
            credited.append(_item(invoiced, net, taxes, currency))
    return document_of(credited, currency)


def _remaining(document: Document, credited_before: Document | None, currency: str) -> list[list[int]]:
    """Per invoice item, what remains to credit: [net, tax of each rate], in minor units."""
    if credited_before is not None:
        _check_itemised(credited_before, currency)
    before = {item.key: item for item in credited_before.items} if credited_before else {}
    unknown = set(before) - {item.key for item in document.items}
    if unknown:
        raise ValueError(f"credited items not on the invoice: {sorted(unknown)}")
    remaining = []
    for invoiced in document.items:
        credited = before.get(invoiced.key)
        credited_taxes: dict[Rate, Decimal] = dict(credited.taxes) if credited else {}
        if set(credited_taxes) - {rate for rate, _ in invoiced.taxes}:
            raise ValueError(f"item {invoiced.key!r} was credited under a rate it does not carry")
        parts = [to_units(invoiced.net, currency) - (to_units(credited.net, currency) if credited else 0)]
        for rate, tax in invoiced.taxes:
            parts.append(to_units(tax, currency) - to_units(credited_taxes.get(rate, Decimal(0)), currency))
        if any(part < 0 for part in parts):
            raise CreditExceedsInvoice(f"item {invoiced.key!r} was credited beyond its invoiced amounts")
        remaining.append(parts)
    return remaining


def _check_itemised(credited: Document, currency: str) -> None:
    """Refuse credits given as totals or rows without their items: what they credited per item is unknown, and
    reading them as nothing would let a credit pass what remains."""
    listed = document_of(credited.items, currency)

    def taxes(document: Document) -> dict[Rate, Decimal]:
        return {row.rate: row.tax for row in document.rows if row.tax}

    same_totals = (listed.net, listed.tax, listed.gross) == (credited.net, credited.tax, credited.gross)
    if not same_totals or taxes(listed) != taxes(credited):
        raise ValueError("credited_before must list its items, keyed as the invoice's (see combine_documents)")


def _item(like: ItemResult, net: int, taxes: Sequence[int], currency: str, rates: Sequence[Rate] = ()) -> ItemResult:
    """An item with the key and percent of ``like``, its rates (or ``rates``), the given net and taxes (minor
    units); gross = net + tax."""
    tax = sum(taxes)
    rates = rates or [rate for rate, _ in like.taxes]
    return ItemResult(
        key=like.key,
        net=from_units(net, currency),
        tax=from_units(tax, currency),
        gross=from_units(net + tax, currency),
        rate_percent=like.rate_percent,
        taxes=tuple((rate, from_units(share, currency)) for rate, share in zip(rates, taxes, strict=True)),
    )


def combine_documents(documents: Sequence[Document], currency: str) -> Document:
    """Several documents (credits of one invoice) as one: items summed by key (taxes by rate), rows and totals
    worked out again; the order is that of first appearance."""
    nets: dict[str, int] = {}
    taxes: dict[str, dict[Rate, int]] = {}
    first: dict[str, ItemResult] = {}
    for document in documents:
        for item in document.items:
            first.setdefault(item.key, item)
            nets[item.key] = nets.get(item.key, 0) + to_units(item.net, currency)
            item_taxes = taxes.setdefault(item.key, {})
            for rate, share in item.taxes:
                item_taxes[rate] = item_taxes.get(rate, 0) + to_units(share, currency)
    items = [
        _item(item, nets[key], list(taxes[key].values()), currency, rates=list(taxes[key]))
        for key, item in first.items()
    ]
    return document_of(items, currency)
