"""The pricing engine: taxes, charges and discounts of a document, computed once, exactly, from Decimal inputs.

Pure Python (the standard library and ``synthesq.core.money``): no models, no database. Orders, invoices and
credit notes store what it returns and render the stored figures; they never recompute them.

Inputs. An ``Item`` is a line or a charge: ``amount`` its total as entered (quantity x unit price, or the
charge), gross when prices include tax, net otherwise; ``discount`` its discount already decided, on the same
basis (``line_discount_amount`` plus its share of the order discount from ``spread_discount``). Amounts must fit
the currency (USD 2 decimals, JPY 0, BHD 3); percents are not negative and have at most 4 decimals; item keys are
unique; an item carries a rate at most once. Anything else is a ValueError (a programming error, not a user's).

Rounding is ROUND_HALF_UP to the currency's minor unit, and happens only where named here; everything before
that is exact (fractions in minor units, never a float, never a Decimal division). Every amount returned has
exactly the currency's decimals; ``rate_percent`` has 4 decimals.

One item. Its base is amount - discount. Prices exclusive of tax: net = base, the exact tax under rate p is
net x p / 100. Prices inclusive of tax: gross = base, P the sum of the item's percents, the exact tax under p is
gross x p / (100 + P) (so stacked rates are extracted together), net = gross - tax.

Stacked rates (a country rate plus region rates: a US state + a local rate, Canada's GST + PST). Every rate of an
item adds: ``rate_percent`` is the sum, and the item's net is taxable under each of its rates.

- ``rounding="line"``: the item's tax is its exact total tax rounded once (so 6.25 % + 2 % tax like 8.25 %);
  its rates share that tax by the largest remainder method over their exact taxes (each within one minor unit
  of exact, ties to the earlier rate). Each row's tax is the sum of its items' shares.
- ``rounding="document"``: each rate's exact tax over all its items is rounded once (one rounding per row);
  the row's minor units then go to its items by largest remainder over their exact taxes under it (ties to the
  earlier item); with inclusive prices a unit an item has no room for (its taxes would pass its gross) goes to the
  next remainder (only percents far above 100 could leave no item room at all: a ValueError). An item's tax is the
  sum of its shares, each within one minor unit of the item's exact tax under that rate (but for a unit moved for
  room), not its own exact tax rounded: three lines of 0.15 at 10 % tax 0.02, 0.02 and 0.01.

Either way, exactly: per item the rates' taxes sum to the item's tax; per rate the items' taxes sum to the row's
tax; the items' taxes and the rows' taxes each sum to the document's tax; net + tax = gross on every item and on
the document; the document's net, tax and gross are the sums of the items'. Nothing is negative.

The breakdown (``Document.rows``): one ``RateRow`` per distinct rate, in order of first appearance over the items
(and their rates), taxable = the sum of the nets of the items carrying it. An item without rates is untaxed
(tax 0, ``taxes`` empty) and counted in the ``UNTAXED`` row (percent 0, no name, no place; a configured 0 % rate
keeps its own row), so that when every item has at most one rate the rows' taxable amounts sum to the document's
net. With stacked rates an item's net is taxable under each of its rates, so exactly: sum of the rows' taxable =
document net + sum over the items with at least one rate of (number of rates - 1) x item net.

Discounts. ``line_discount_amount``: a percent of the line (half-up) or an amount, capped at the line.
``spread_discount``: an order discount over the lines in proportion to their line-discounted amounts, by largest
remainder, capped at their sum, no share above its line. ``allocate``: any total over weights, largest remainder.

Credits. ``credit_for_quantity`` rounds cumulatively (round(x x (before + returning) / Q) - round(x x before / Q)
for the net and each rate's tax), so a line credited in any number of parts credits exactly its net and each
rate's tax. ``credit_for_amount`` shares a gross amount over the invoice's items in proportion to their
remaining gross, then each item's share over its remaining net and tax per rate, by largest remainder; it raises
``CreditExceedsInvoice`` when the gross or any rate's tax would be credited beyond what remains. ``document_of``
builds the document of credited items; ``combine_documents`` sums several (the credits so far).
"""

from .allocation import allocate, line_discount_amount, spread_discount
from .credits import combine_documents, credit_for_amount, credit_for_quantity
from .document import document_of, price_document
from .model import UNTAXED, CreditExceedsInvoice, Document, Item, ItemResult, Rate, RateRow

__all__ = [
    "UNTAXED",
    "CreditExceedsInvoice",
    "Document",
    "Item",
    "ItemResult",
    "Rate",
    "RateRow",
    "allocate",
    "combine_documents",
    "credit_for_amount",
    "credit_for_quantity",
    "document_of",
    "line_discount_amount",
    "price_document",
    "spread_discount",
]
