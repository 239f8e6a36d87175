"""The one API router: every resource under /api/v1/, trailing slash optional."""

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from billing.api.reports import TaxReportViewSet
from billing.api.views import CreditNoteViewSet, InvoiceViewSet, PaymentViewSet, RefundViewSet
from integrations.api.views import EventViewSet, WebhookDeliveryViewSet, WebhookEndpointViewSet
from inventory.api.views import ProductViewSet
from inventory.api.warehouses import StockTransferViewSet, WarehouseViewSet
from sales.api.promotions import PriceListViewSet, PromotionCodeViewSet
from sales.api.shipment_views import ShipmentViewSet
from sales.api.views import CustomerViewSet, OrderViewSet, ReturnViewSet
from taxes.api.views import TaxClassViewSet, TaxRateViewSet, TaxSettingsViewSet


class OptionalSlashRouter(SimpleRouter):
    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("sales/customers", CustomerViewSet, basename="customer")
router.register("sales/orders", OrderViewSet, basename="order")
router.register("sales/returns", ReturnViewSet, basename="return")
router.register("sales/shipments", ShipmentViewSet, basename="shipment")
router.register("sales/promotion-codes", PromotionCodeViewSet, basename="promotion-code")
router.register("sales/price-lists", PriceListViewSet, basename="price-list")
router.register("sales/invoices", InvoiceViewSet, basename="invoice")
router.register("sales/payments", PaymentViewSet, basename="payment")
router.register("sales/credit-notes", CreditNoteViewSet, basename="credit-note")
router.register("sales/refunds", RefundViewSet, basename="refund")
router.register("sales/reports/tax", TaxReportViewSet, basename="tax-report")
router.register("inventory/products", ProductViewSet, basename="product")
router.register("taxes/classes", TaxClassViewSet, basename="tax-class")
router.register("taxes/rates", TaxRateViewSet, basename="tax-rate")
router.register("inventory/warehouses", WarehouseViewSet, basename="warehouse")
router.register("inventory/transfers", StockTransferViewSet, basename="stock-transfer")
router.register("events", EventViewSet, basename="event")
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    re_path(r"^taxes/settings/?$", TaxSettingsViewSet.as_view({"get": "retrieve", "put": "update"}),
            name="tax-settings"),
    *router.urls,
]
