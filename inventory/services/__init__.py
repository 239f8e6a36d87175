"""Inventory's write services: products (``products``), stock changes (``stock``), warehouses
(``warehouses``)."""

from .products import _lock_products as _lock_products
from .products import product_create, product_update, validate_parent
from .stock import stock_adjust, stock_release, stock_reserve, stock_return, stock_transfer
from .stock_rows import STOCK_MAX, Placement, stock_lock, warehouse_default
from .warehouses import warehouse_create, warehouse_update

__all__ = [
    "STOCK_MAX", "Placement", "product_create", "product_update", "stock_adjust", "stock_lock", "stock_release",
    "stock_reserve", "stock_return", "stock_transfer", "validate_parent", "warehouse_create", "warehouse_default",
    "warehouse_update",
]
