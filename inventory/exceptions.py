from __future__ import annotations

from dataclasses import asdict, dataclass

from synthesq.core.errors import BusinessRuleViolation


@dataclass(frozen=True)
class ShortLine:
    product_id: str
    requested: int
    available: int


class InsufficientStock(BusinessRuleViolation):
    code = "insufficient_stock"
    title = "Insufficient stock"

    def __init__(self, lines: list[ShortLine], detail: str | None = None) -> None:
        self.lines = lines
        detail = detail or "Not enough stock for: " + ", ".join(
            f"{line.product_id} (requested {line.requested}, available {line.available})" for line in lines
        )
        super().__init__(detail, lines=[asdict(line) for line in lines])


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
