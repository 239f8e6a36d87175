from .core import ApiTokenFactory, UserFactory
from .inventory import ProductFactory, StockMovementFactory
from .sales import CustomerFactory

__all__ = ["ApiTokenFactory", "CustomerFactory", "ProductFactory", "StockMovementFactory", "UserFactory"]
