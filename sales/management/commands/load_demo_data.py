"""Load a small demo data set and print how to use it. Safe to run again: it adds only what is missing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from inventory import services as inventory_services
from inventory.models import Product
from sales import services as sales_services
from sales.models import Customer, Order
from synthesq.core.roles import ROLE_NAMES
from synthesq.core.services import api_token_create
from taxes import services as tax_services
from taxes.models import TaxClass, TaxRate

DEMO_PASSWORD = "synthesq-demo"

CUSTOMERS = [
    ("Acme Retail", "orders@acme.example", {"line1": "123 Commerce St", "city": "Austin", "state": "TX",
                                            "postal_code": "78701", "country": "US"}),
    ("Globex GmbH", "einkauf@globex.example", {"line1": "Hauptstrasse 5", "city": "Berlin",
                                               "postal_code": "10115", "country": "DE"}),
    ("Initech KK", "purchasing@initech.example", {"line1": "1-2-3 Shibuya", "city": "Tokyo",
                                                  "postal_code": "150-0002", "country": "JP"}),
]

# class, country, name, percent: DE, FR and GB; the guide's Austin, TX stays untaxed.
TAX_RATES = [
    ("standard", "DE", "USt 19%", "19"), ("reduced", "DE", "USt 7%", "7"),
    ("standard", "FR", "TVA 20%", "20"), ("reduced", "FR", "TVA 5.5%", "5.5"),
    ("standard", "GB", "VAT 20%", "20"),
]
TAXES_FROM = date(2020, 1, 1)

# sku, name, price, currency, initial stock, parent sku (BOOK-ERGO is in the reduced tax class)
PRODUCTS = [
    ("DESK-STD", "Standing desk", "129.99", "USD", 50, None),
    ("CHAIR-ERG", "Ergonomic chair", "249.00", "USD", 12, None),
    ("LAMP-LED", "LED desk lamp", "39.50", "USD", 3, None),
    ("TEE", "Logo T-shirt", "19.00", "USD", 0, None),
    ("TEE-S", "Logo T-shirt, S", "19.00", "USD", 40, "TEE"),
    ("TEE-M", "Logo T-shirt, M", "19.00", "USD", 60, "TEE"),
    ("TEE-L", "Logo T-shirt, L", "19.00", "USD", 25, "TEE"),
    ("MUG-JP", "Ceramic mug", "1300", "JPY", 100, None),
    ("BOOK-ERGO", "Ergonomics handbook", "24.90", "USD", 30, None),
]
REDUCED_SKUS = {"BOOK-ERGO"}


class Command(BaseCommand):
    help = "Load demo customers, products with stock, staff logins per role, and print a fresh API token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")
        parser.add_argument("--no-token", action="store_true", help="Do not create an API token.")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        users = self._staff()
        customers = self._customers(users["admin"])
        self._taxes(users["admin"])
        products = self._products(users["admin"])
        orders = self._orders(users)
        base = options["base_url"].rstrip("/")
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {customers} customers, {products} products, {orders} orders, staff logins per role."
        ))
        self.stdout.write(f"  API:        {base}/api/v1/")
        self.stdout.write(f"  API docs:   {base}/api/v1/docs/")
        self.stdout.write(f"  Admin:      {base}/admin/  (user admin, password {DEMO_PASSWORD}; also "
                          f"{', '.join(ROLE_NAMES)} with the same password)")
        if not options["no_token"]:
            _token, plain = api_token_create(user=users["admin"], name="demo (load_demo_data)")
            self.stdout.write(f"  Try:        curl -H 'Authorization: Bearer {plain}' {base}/api/v1/sales/customers")
            self.stdout.write("Bearer token for the demo superuser (shown once):")
            self.stdout.write(plain)

    def _staff(self) -> dict[str, Any]:
        user_model = get_user_model()
        users: dict[str, Any] = {}
        for username in ("admin", *ROLE_NAMES):
            user, created = user_model.objects.get_or_create(
                username=username, defaults={"email": f"{username}@synthesq.example", "is_staff": True}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                if username == "admin":
                    user.is_superuser = True
                user.save()
                if username != "admin":
                    user.groups.add(Group.objects.get(name=username))
            users[username] = user
        return users

    def _customers(self, actor: Any) -> int:
        for name, email, address in CUSTOMERS:
            if not Customer.objects.filter(email=email).exists():
                sales_services.customer_create(actor=actor, name=name, email=email,
                                               default_shipping_address=address)
        return Customer.objects.count()

    def _taxes(self, actor: Any) -> None:
        """A reduced class and the rates of a few countries, so that orders to them show taxes at once."""
        if not TaxClass.objects.filter(code="reduced").exists():
            tax_services.tax_class_create(actor=actor, code="reduced", name="Reduced rate")
        for tax_class, country, name, percent in TAX_RATES:
            if not TaxRate.objects.filter(tax_class_id=tax_class, country=country, name=name).exists():
                tax_services.tax_rate_create(actor=actor, tax_class=tax_class, country=country, name=name,
                                             rate=Decimal(percent), valid_from=TAXES_FROM)

    def _products(self, actor: Any) -> int:
        for sku, name, price, currency, stock, parent_sku in PRODUCTS:
            if Product.objects.filter(sku=sku).exists():
                continue
            parent = Product.objects.get(sku=parent_sku) if parent_sku else None
            inventory_services.product_create(
                actor=actor, sku=sku, name=name, price=Decimal(price), currency=currency,
                stock_quantity=stock, parent=parent,
                tax_class=TaxClass.objects.get(code="reduced") if sku in REDUCED_SKUS else None,
            )
        return Product.objects.count()

    def _orders(self, users: dict[str, Any]) -> int:
        """A few orders along the lifecycle, made through the same services as the API."""
        if Order.objects.exists():
            return Order.objects.count()
        customer = Customer.objects.get(email="orders@acme.example")
        desk, chair, tee_m = (Product.objects.get(sku=s) for s in ("DESK-STD", "CHAIR-ERG", "TEE-M"))
        seller, warehouse = users["sales"], users["warehouse"]
        plans: list[tuple[list[tuple[Product, int, Decimal | None]], list[str]]] = [
            ([(desk, 2, Decimal("129.99"))], []),
            ([(chair, 1, None), (tee_m, 5, None)], ["confirm"]),
            ([(desk, 1, None)], ["confirm", "process"]),
            ([(tee_m, 3, None)], ["confirm", "process", "ship"]),
            ([(chair, 2, None)], ["confirm", "cancel"]),
        ]
        for lines, steps in plans:
            order = sales_services.order_create(
                actor=seller, customer_id=customer.pk, currency="USD",
                line_items=[sales_services.LineInput(product_id=p.pk, quantity=q, unit_price=price)
                            for p, q, price in lines],
            )
            for step in steps:
                if step == "confirm":
                    sales_services.order_confirm(order_id=order.pk, actor=seller)
                elif step == "process":
                    sales_services.order_start_processing(order_id=order.pk, actor=warehouse)
                elif step == "ship":
                    sales_services.order_ship(order_id=order.pk, actor=warehouse,
                                              tracking_number="1Z999AA10123456784", carrier="UPS")
                elif step == "cancel":
                    sales_services.order_cancel(order_id=order.pk, actor=seller,
                                                reason="Customer requested cancellation")
        book = Product.objects.get(sku="BOOK-ERGO")
        taxed = sales_services.order_create(  # to Berlin: a standard and a reduced line plus shipping, taxed
            actor=seller, customer_id=Customer.objects.get(email="einkauf@globex.example").pk, currency="USD",
            line_items=[sales_services.LineInput(product_id=desk.pk, quantity=1),
                        sales_services.LineInput(product_id=book.pk, quantity=2)],
            charges=[sales_services.ChargeInput(kind="shipping", description="DHL", amount=Decimal("9.90"))],
        )
        sales_services.order_confirm(order_id=taxed.pk, actor=seller)  # and its invoice, taxed
        return Order.objects.count()
