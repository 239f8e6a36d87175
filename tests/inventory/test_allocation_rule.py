"""The allocation rule (``inventory.allocation.allocate``), table-driven: one parcel preferred, then priority per
product, then split in priority order; all or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.allocation import Shortage, Source, allocate

# Warehouses: code → priority (smaller first). "A" comes first, then "B", then "C".
PRIORITY = {"A": 1, "B": 2, "C": 3}


def sources(stock: dict[str, dict[str, int]]) -> dict[str, list[Source]]:
    """``{"p1": {"A": 5, "B": 2}}`` → the sources the rule reads (warehouse id = its code here)."""
    return {product: [Source(PRIORITY[wh], wh, wh, available) for wh, available in held.items()]
            for product, held in stock.items()}


CASES: list[tuple[str, dict[str, int], dict[str, dict[str, int]], Any]] = [
    ("one warehouse holds everything: the first by priority",
     {"p1": 2, "p2": 1}, {"p1": {"A": 5, "B": 5}, "p2": {"A": 1, "B": 9}},
     {"p1": [("A", 2)], "p2": [("A", 1)]}),
    ("one parcel beats priority: B alone holds both",
     {"p1": 2, "p2": 2}, {"p1": {"A": 5, "B": 2}, "p2": {"A": 0, "B": 3}},
     {"p1": [("B", 2)], "p2": [("B", 2)]}),
    ("no single warehouse: each product from the first warehouse holding all of it",
     {"p1": 3, "p2": 3}, {"p1": {"A": 1, "B": 3, "C": 9}, "p2": {"A": 3, "B": 0}},
     {"p1": [("B", 3)], "p2": [("A", 3)]}),
    ("no warehouse holds a product's quantity: split in priority order",
     {"p1": 6}, {"p1": {"A": 2, "B": 0, "C": 5}},
     {"p1": [("A", 2), ("C", 4)]}),
    ("split uses every warehouse it needs",
     {"p1": 6}, {"p1": {"A": 2, "B": 3, "C": 1}},
     {"p1": [("A", 2), ("B", 3), ("C", 1)]}),
    ("exactly what all hold together",
     {"p1": 4, "p2": 1}, {"p1": {"C": 2, "A": 2}, "p2": {"B": 1}},
     {"p1": [("A", 2), ("C", 2)], "p2": [("B", 1)]}),
    ("all or nothing: one short product refuses the order, naming every short one with the total",
     {"p1": 1, "p2": 5, "p3": 2}, {"p1": {"A": 9}, "p2": {"A": 2, "B": 2}, "p3": {}},
     [Shortage("p2", 5, 4, (("A", 2), ("B", 2))), Shortage("p3", 2, 0, ())]),
]


@pytest.mark.parametrize(("wanted", "stock", "expected"), [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_the_allocation_rule(wanted: dict[str, int], stock: dict[str, dict[str, int]], expected: Any) -> None:
    # given what each warehouse holds, when the order's quantities are allocated, then the rule's plan (or refusal)
    assert allocate(wanted, sources(stock)) == expected


def test_equal_priorities_are_ordered_by_code_then_id() -> None:
    # given two warehouses of the same priority, both able to ship the whole order
    stock = {"p1": [Source(1, "ZZZ", "wh_1", 5), Source(1, "AAA", "wh_2", 5)]}
    # then the one whose code sorts first ships it
    assert allocate({"p1": 2}, stock) == {"p1": [("wh_2", 2)]}
