from .core import ApiTokenFactory, UserFactory
from .inventory import ProductFactory, StockMovementFactory
from .sales import CustomerFactory, OrderEventFactory, OrderFactory, OrderLineFactory

__all__ = [
    "ApiTokenFactory",
    "CustomerFactory",
    "OrderEventFactory",
    "OrderFactory",
    "OrderLineFactory",
    "ProductFactory",
    "StockMovementFactory",
    "UserFactory",
]
