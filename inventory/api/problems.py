"""The problems the inventory services raise, as OpenAPI components (see ``synthesq.core.problem_schemas``)."""

from __future__ import annotations

from inventory.exceptions import InsufficientStock, ProductHasStock, ProductHasVariants
from synthesq.core.problem_schemas import INTEGER, STRING, array_of, helper_component, problem_doc

INSUFFICIENT_STOCK = problem_doc(
    "InsufficientStock", error=InsufficientStock, description="Each short line, with what it asked for.",
    lines=array_of(helper_component("InsufficientStockLine", {
        "type": "object",
        "required": ["product_id", "requested", "available"],
        "properties": {
            "product_id": STRING, "requested": INTEGER,
            "available": {**INTEGER, "description": "What all active warehouses together hold."},
            "available_by_warehouse": array_of(helper_component("InsufficientStockWarehouse", {
                "type": "object", "required": ["warehouse_id", "available"],
                "properties": {"warehouse_id": STRING, "available": INTEGER},
            })),
        },
    })),
)
PRODUCT_HAS_VARIANTS = problem_doc("ProductHasVariants", error=ProductHasVariants,
                                   description="Stock and sales belong to its variants.", product_id=STRING)
PRODUCT_HAS_STOCK = problem_doc("ProductHasStock", error=ProductHasStock,
                                description="A product holding stock cannot get variants.", product_id=STRING)
