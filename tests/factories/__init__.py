from .billing import CreditNoteFactory, InvoiceFactory, PaymentFactory, RefundFactory
from .core import ApiTokenFactory, UserFactory
from .inventory import ProductFactory, StockMovementFactory, WarehouseFactory
from .pricing import PriceListFactory, PromotionCodeFactory
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
    "PriceListFactory",
    "ProductFactory",
    "PromotionCodeFactory",
    "RefundFactory",
    "ReturnFactory",
    "StockMovementFactory",
    "UserFactory",
    "WarehouseFactory",
]
