from .billing import CreditNoteFactory, InvoiceFactory, PaymentFactory, RefundFactory
from .core import ApiTokenFactory, UserFactory
from .inventory import ProductFactory, StockMovementFactory, WarehouseFactory
from .sales import CustomerFactory, OrderEventFactory, OrderFactory, OrderLineFactory, ReturnFactory

__all__ = [
    "ApiTokenFactory",
    "CreditNoteFactory",
    "CustomerFactory",
    "InvoiceFactory",
    "OrderEventFactory",
    "OrderFactory",
    "OrderLineFactory",
    "PaymentFactory",
    "ProductFactory",
    "RefundFactory",
    "ReturnFactory",
    "StockMovementFactory",
    "UserFactory",
    "WarehouseFactory",
]
