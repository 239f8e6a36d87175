"""Staff back-office for customers and orders (registered on import), and sales' part of the navigation, the
order page's tabs and the dashboard."""

from . import backoffice, messages
from .customers import CustomerAdmin
from .orders import OrderAdmin
from .pricing import PriceListAdmin, PromotionCodeAdmin
from .returns import ReturnAdmin
from .shipments import ShipmentAdmin

__all__ = ["CustomerAdmin", "OrderAdmin", "PriceListAdmin", "PromotionCodeAdmin", "ReturnAdmin", "ShipmentAdmin",
           "backoffice", "messages"]
