from .billing import InvoiceFactory, PaymentFactory
from .core import ApiTokenFactory, UserFactory
from .inventory import ProductFactory, StockMovementFactory
from .sales import CustomerFactory, OrderEventFactory, OrderFactory, OrderLineFactory, ReturnFactory

__all__ = [
    "ApiTokenFactory",
    "CustomerFactory",
    "InvoiceFactory",
    "OrderEventFactory",
    "OrderFactory",
    "OrderLineFactory",
    "PaymentFactory",
    "ProductFactory",
    "ReturnFactory",
    "StockMovementFactory",
    "UserFactory",
]
