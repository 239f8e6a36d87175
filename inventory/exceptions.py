from __future__ import annotations

from dataclasses import dataclass, field

from synthesq.core.errors import BusinessRuleViolation


@dataclass(frozen=True)
class ShortLine:
    product_id: str
    requested: int
    available: int
    # For people reading the refusal (the admin, the problem's detail); not part of a line's identity.
    sku: str = field(default="", compare=False)
    name: str = field(default="", compare=False)
    # What each warehouse counted in ``available`` holds: (warehouse id, quantity), in allocation order.
    available_by_warehouse: tuple[tuple[str, int], ...] = field(default=(), compare=False)

    def describe(self) -> str:
        product = f"{self.sku} {self.name}".strip() or self.product_id
        return f"{product} (requested {self.requested}, available {self.available})"

    def as_problem_line(self) -> dict[str, object]:
        return {"product_id": self.product_id, "requested": self.requested, "available": self.available,
                "available_by_warehouse": [{"warehouse_id": warehouse_id, "available": available}
                                           for warehouse_id, available in self.available_by_warehouse]}


class InsufficientStock(BusinessRuleViolation):
    code = "insufficient_stock"
    title = "Insufficient stock"

    def __init__(self, lines: list[ShortLine], detail: str | None = None) -> None:
        self.lines = lines
        detail = detail or "Not enough stock for: " + ", ".join(line.describe() for line in lines)
        super().__init__(detail, lines=[line.as_problem_line() for line in lines])


class ProductHasVariants(BusinessRuleViolation):
    code = "product_has_variants"
    title = "Product has variants"

    def __init__(self, product_id: str) -> None:
        super().__init__(
            f"Product {product_id} has variants; stock and sales belong to its variants.",
            product_id=product_id,
        )


class ProductHasStock(BusinessRuleViolation):
    code = "product_has_stock"
    title = "Product has stock"

    def __init__(self, product_id: str) -> None:
        super().__init__(
            f"Product {product_id} holds stock, so it cannot get variants; adjust its stock to 0 first.",
            product_id=product_id,
        )

