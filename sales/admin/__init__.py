"""Staff back-office for customers and orders (registered on import)."""

from .customers import CustomerAdmin
from .orders import OrderAdmin

__all__ = ["CustomerAdmin", "OrderAdmin"]
