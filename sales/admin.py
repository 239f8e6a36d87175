"""Staff back-office for customers and orders. Thin: every change goes through ``sales.services`` (the same
functions the API calls), so the admin cannot bypass a guard or skip a history or ledger row."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from synthesq.core.admin_tools import action_form_page, run_service, status_badge
from synthesq.core.errors import DomainError
from synthesq.core.money import format_amount, format_money, is_known_currency

from . import services
from .api.serializers import AddressSerializer
from .exceptions import CurrencyMismatch
from .models import Customer, Order, OrderEvent, OrderLine, OrderStatus

ADDRESS_FIELDS = ["ship_line1", "ship_line2", "ship_city", "ship_state", "ship_postal_code", "ship_country"]


# --- customers ---------------------------------------------------------------------------------------


class CustomerOrderInline(admin.TabularInline):
    model = Order
    fields = ["order_link", "status_display", "total_display", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = "orders"
    ordering = ["-id"]

    @admin.display(description="order")
    def order_link(self, order: Order) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:sales_order_change", args=[order.pk]),
                           order.order_number)

    @admin.display(description="status")
    def status_display(self, order: Order) -> str:
        return status_badge(order.status)

    @admin.display(description="total")
    def total_display(self, order: Order) -> str:
        return format_money(order.total, order.currency)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "created_at"]
    search_fields = ["name", "email"]
    readonly_fields = ["id", "open_invoices", "created_at", "updated_at"]
    fields = ["id", "name", "email", "phone", "default_shipping_address", "open_invoices", "created_at",
              "updated_at"]
    date_hierarchy = "created_at"
    inlines = [CustomerOrderInline]

    def get_fields(self, request: HttpRequest, obj: Customer | None = None) -> list[str]:
        if request.user.has_perm("billing.view_invoice"):
            return self.fields
        return [name for name in self.fields if name != "open_invoices"]

    @admin.display(description="open invoices")
    def open_invoices(self, customer: Customer) -> str:
        invoices = [inv for inv in customer.invoices.all().order_by("-id") if inv.status in ("draft", "issued")]
        if not invoices:
            return "none"
        return format_html_join(
            ", ", '<a href="{}">{}</a> ({} due)',
            ((reverse("admin:billing_invoice_change", args=[inv.pk]), inv.number or "draft",
              format_money(inv.amount_due, inv.currency)) for inv in invoices),
        )

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        if change:
            data = {field: form.cleaned_data[field] for field in form.changed_data}
            services.customer_update(customer=obj, data=data)
        else:
            created = services.customer_create(
                name=obj.name, email=obj.email, phone=obj.phone,
                default_shipping_address=obj.default_shipping_address,
            )
            obj.pk = created.pk


# --- orders: forms -----------------------------------------------------------------------------------


class OrderForm(forms.ModelForm):
    """Customer and currency (on creation), and the shipping address as plain fields."""

    ship_line1 = forms.CharField(label="Address line 1", max_length=200, required=False)
    ship_line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    ship_city = forms.CharField(label="City", max_length=100, required=False)
    ship_state = forms.CharField(label="State", max_length=100, required=False)
    ship_postal_code = forms.CharField(label="Postal code", max_length=20, required=False)
    ship_country = forms.CharField(label="Country (ISO 3166, e.g. US)", max_length=2, required=False)

    class Meta:
        model = Order
        fields = ["customer", "currency"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The primary key has a default (a new ULID), so "new" is ``_state.adding``, not a missing pk.
        adding = self.instance._state.adding
        address = None if adding else self.instance.shipping_address
        for name in ADDRESS_FIELDS:
            if address:
                self.fields[name].initial = address.get(name.removeprefix("ship_"), "")
        if adding:
            for name in ADDRESS_FIELDS:
                self.fields[name].help_text = "Leave the address empty to use the customer's default."

    def address(self) -> dict[str, str] | None:
        """The address entered, validated with the API's rules, or None when left empty."""
        raw = {name.removeprefix("ship_"): (self.cleaned_data.get(name) or "").strip() for name in ADDRESS_FIELDS}
        if not any(raw.values()):
            return None
        checked = AddressSerializer(data={k: v for k, v in raw.items() if v})
        if not checked.is_valid():
            for field, errors in checked.errors.items():
                self.add_error(f"ship_{field}" if f"ship_{field}" in self.fields else None, errors)
            return None
        return dict(checked.validated_data)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.cleaned_address = self.address()
        customer = data.get("customer")
        if self.instance._state.adding and self.cleaned_address is None and customer is not None \
                and not customer.default_shipping_address:
            self.add_error("ship_line1", "The customer has no default shipping address: enter one.")
        currency = data.get("currency")
        if currency and not is_known_currency(currency):
            self.add_error("currency", f"{currency!r} is not an ISO 4217 currency code.")
        return data


class OrderLineForm(forms.ModelForm):
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000)
    unit_price = forms.DecimalField(required=False, min_value=0, max_digits=18, decimal_places=4,
                                    help_text="Empty: the product's price.")

    class Meta:
        model = OrderLine
        fields = ["product", "quantity", "unit_price"]


class OrderLineFormSet(BaseInlineFormSet):
    """Checks the lines exactly as the service will (products, variants, currency, decimals)."""

    def line_inputs(self) -> list[services.LineInput]:
        return [
            services.LineInput(product_id=form.cleaned_data["product"].pk, quantity=form.cleaned_data["quantity"],
                               unit_price=form.cleaned_data.get("unit_price"))
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("product")
        ]

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        if not self.instance._state.adding and self.instance.status != OrderStatus.DRAFT:
            return  # read-only lines (not posted, not saved): nothing to check
        currency = self.instance.currency if self.instance.pk else self.data.get("currency", "")
        if not is_known_currency(currency or ""):
            return  # the order form reports the currency
        live = [form for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("product")]
        try:
            services.order_lines_validate(currency=currency, line_items=self.line_inputs())
        except CurrencyMismatch as exc:
            for line in exc.extra["lines"]:
                live[line["line"]].add_error(
                    "unit_price", f"Priced in {line['product_currency']}: give a unit price in {currency}.")
        except DomainError as exc:
            placed = False
            for error in exc.extra.get("errors", []):
                field = error.get("field") or ""
                if field.startswith("line_items["):
                    index = int(field[len("line_items["):field.index("]")])
                    name = field.rsplit(".", 1)[-1] if "." in field else None
                    live[index].add_error({"product_id": "product"}.get(name, name), error["message"])
                    placed = True
            if not placed:
                raise forms.ValidationError(exc.detail) from exc


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    form = OrderLineForm
    formset = OrderLineFormSet
    autocomplete_fields = ["product"]
    ordering = ["position"]

    def _editable(self, request: HttpRequest, order: Order | None) -> bool:
        if order is None:
            return request.user.has_perm("sales.add_order")
        return order.status == OrderStatus.DRAFT and request.user.has_perm("sales.change_order")

    def get_fields(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        if self._editable(request, obj):
            return ["product", "quantity", "unit_price"]
        return ["product", "sku", "name", "quantity", "unit_price_display", "line_total_display"]

    @admin.display(description="unit price")
    def unit_price_display(self, line: OrderLine) -> str:
        return format_amount(line.unit_price, line.order.currency) or ""

    @admin.display(description="line total")
    def line_total_display(self, line: OrderLine) -> str:
        return format_amount(line.line_total, line.order.currency) or ""

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        return [] if self._editable(request, obj) else self.get_fields(request, obj)

    def get_extra(self, request: HttpRequest, obj: Order | None = None, **kwargs: Any) -> int:
        return 1 if obj is None else 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("sales.view_order") or request.user.has_perm("sales.add_order")


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "reason", "data"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "history"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("sales.view_order")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MoveForm(forms.Form):
    """What a move asks for: tracking for shipping, a reason for cancelling, the waiver for closing."""

    tracking_number = forms.CharField(max_length=64)
    carrier = forms.CharField(max_length=64)
    waive_return_window = forms.BooleanField(required=False, label="Close now, waiving the return window")
    reason = forms.CharField(max_length=255, required=False)

    def __init__(self, *args: Any, status: str, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if status != OrderStatus.SHIPPED:
            del self.fields["tracking_number"], self.fields["carrier"]
        if status != OrderStatus.CLOSED or not user.has_perm("sales.waive_return_window"):
            del self.fields["waive_return_window"]
        if status == OrderStatus.CANCELLED:
            self.fields["reason"].required = True
            self.fields["reason"].label = "Cancellation reason"


class HoldForm(forms.Form):
    reason = forms.CharField(max_length=255, label="Why is the order on hold?")


MOVE_LABELS = {
    OrderStatus.CONFIRMED: "Confirm (reserve stock)",
    OrderStatus.PROCESSING: "Mark processing",
    OrderStatus.SHIPPED: "Ship…",
    OrderStatus.DELIVERED: "Mark delivered",
    OrderStatus.CLOSED: "Close…",
    OrderStatus.CANCELLED: "Cancel…",
}
NEEDS_FORM = {OrderStatus.SHIPPED, OrderStatus.CLOSED, OrderStatus.CANCELLED}
# Billing columns and fields, shown only to roles that may see invoices.
INVOICE_COLUMNS = {"invoice_status", "amount_due", "invoice_display", "payments_display"}
BULK_ACTION_PERMISSIONS = {
    "confirm_selected": "sales.confirm_order",
    "process_selected": "sales.process_order",
    "deliver_selected": "sales.deliver_order",
    "cancel_selected": "sales.cancel_order",
}
TRANSITION_PERMISSIONS = {
    OrderStatus.CONFIRMED: "sales.confirm_order", OrderStatus.PROCESSING: "sales.process_order",
    OrderStatus.SHIPPED: "sales.ship_order", OrderStatus.DELIVERED: "sales.deliver_order",
    OrderStatus.CLOSED: "sales.close_order", OrderStatus.CANCELLED: "sales.cancel_order",
}


class OnHoldFilter(admin.SimpleListFilter):
    title = "on hold"
    parameter_name = "on_hold"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "On hold"), ("no", "Not on hold")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        if self.value() in ("yes", "no"):
            return queryset.filter(on_hold=self.value() == "yes")
        return queryset


# --- orders: admin -----------------------------------------------------------------------------------


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    form = OrderForm
    list_display = ["order_number", "customer", "status_display", "total_display", "invoice_status",
                    "amount_due", "on_hold", "created_at"]
    list_filter = ["status", "currency", ("created_at", admin.DateFieldListFilter), OnHoldFilter]
    search_fields = ["order_number", "customer__name", "customer__email", "tracking_number"]
    list_select_related = ["customer", "invoice"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["customer"]
    actions = ["confirm_selected", "process_selected", "deliver_selected", "cancel_selected"]
    inlines = [OrderLineInline, OrderEventInline]
    change_form_template = "admin/sales/order/change_form.html"

    # -- list columns --------------------------------------------------------------------------------
    @admin.display(description="status", ordering="status")
    def status_display(self, order: Order) -> str:
        return status_badge(order.status)

    @admin.display(description="total", ordering="total")
    def total_display(self, order: Order) -> str:
        return format_money(order.total, order.currency)

    @admin.display(description="subtotal")
    def subtotal_display(self, order: Order) -> str:
        return format_money(order.subtotal, order.currency)

    @admin.display(description="invoice")
    def invoice_status(self, order: Order) -> str:
        invoice = getattr(order, "invoice", None)
        return status_badge(invoice.status, invoice.number or invoice.status) if invoice else "—"

    @admin.display(description="amount due")
    def amount_due(self, order: Order) -> str:
        invoice = getattr(order, "invoice", None)
        return format_money(invoice.amount_due, invoice.currency) if invoice else "—"

    # -- what each role sees ---------------------------------------------------------------------------
    def get_list_display(self, request: HttpRequest) -> list[str]:
        if request.user.has_perm("billing.view_invoice"):
            return self.list_display
        return [name for name in self.list_display if name not in INVOICE_COLUMNS]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        for name, permission in BULK_ACTION_PERMISSIONS.items():
            if name in actions and not request.user.has_perm(permission):
                del actions[name]
        return actions

    # -- the form ------------------------------------------------------------------------------------
    def get_fields(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        if obj is None:
            return ["customer", "currency", *ADDRESS_FIELDS]
        address = ADDRESS_FIELDS if obj.status == OrderStatus.DRAFT else ["shipping_address_display"]
        fields = self._all_fields(address)
        if not request.user.has_perm("billing.view_invoice"):
            fields = [name for name in fields if name not in INVOICE_COLUMNS]
        return fields

    def _all_fields(self, address: list[str]) -> list[str]:
        return ["order_number", "status_display", "customer", "currency", *address, "subtotal_display",
                "total_display",
                "tracking_number", "carrier", "cancellation_reason", "hold_display", "return_window_display",
                "invoice_display", "payments_display", "created_at", "confirmed_at", "processing_at",
                "shipped_at", "delivered_at", "closed_at", "cancelled_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        if obj is None:
            return []
        editable = set(ADDRESS_FIELDS) if obj.status == OrderStatus.DRAFT else set()
        return [f for f in self.get_fields(request, obj) if f not in editable]

    @admin.display(description="shipping address")
    def shipping_address_display(self, order: Order) -> str:
        address = order.shipping_address or {}
        parts = [address.get(k) for k in ("line1", "line2", "city", "state", "postal_code", "country")]
        return ", ".join(p for p in parts if p)

    @admin.display(description="hold")
    def hold_display(self, order: Order) -> str:
        if not order.on_hold:
            return "not on hold"
        return f"ON HOLD since {order.held_at:%Y-%m-%d %H:%M}: {order.hold_reason}"

    @admin.display(description="return window ends")
    def return_window_display(self, order: Order) -> str:
        ends_at = services.return_window_ends_at(order)
        return f"{ends_at:%Y-%m-%d %H:%M} UTC" if ends_at else "—"

    @admin.display(description="invoice")
    def invoice_display(self, order: Order) -> str:
        invoice = getattr(order, "invoice", None)
        if invoice is None:
            return "none yet (made at confirmation)"
        return format_html(
            '{} {} — total {} {}, paid {}, due {}', invoice.number or "draft invoice",
            status_badge(invoice.status), format_amount(invoice.total, invoice.currency), invoice.currency,
            format_amount(invoice.amount_paid, invoice.currency), format_amount(invoice.amount_due, invoice.currency),
        )

    @admin.display(description="payments")
    def payments_display(self, order: Order) -> str:
        invoice = getattr(order, "invoice", None)
        payments = list(invoice.payments.order_by("id")) if invoice else []
        if not payments:
            return "none"
        return format_html_join(
            "", "<div>{} {} {} by {} ({})</div>",
            ((f"{p.created_at:%Y-%m-%d}", format_amount(p.amount, p.currency), p.currency,
              p.get_payment_method_display(), p.reference) for p in payments),
        )

    # -- saving through the services -----------------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: Order, form: Any, change: bool) -> None:
        """Nothing here: the order is written by the service in ``save_related``, lines included."""

    def save_related(self, request: HttpRequest, form: Any, formsets: list[Any], change: bool) -> None:
        lines = next((fs for fs in formsets if isinstance(fs, OrderLineFormSet)), None)
        line_items = lines.line_inputs() if lines is not None else None
        order: Order = form.instance
        if not change:
            created = services.order_create(
                actor=request.user, customer_id=form.cleaned_data["customer"].pk,
                currency=form.cleaned_data["currency"], line_items=line_items or [],
                shipping_address=form.cleaned_address,
            )
            order.pk, order.order_number = created.pk, created.order_number
            return
        if order.status == OrderStatus.DRAFT:
            address_changed = any(name in form.changed_data for name in ADDRESS_FIELDS)
            services.order_update_draft(
                order_id=order.pk, actor=request.user,
                line_items=line_items if lines is not None and lines.has_changed() else None,
                shipping_address=form.cleaned_address if address_changed and form.cleaned_address else None,
            )

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any, add: bool = False) -> Any:
        # The formsets were not saved by the admin (the service wrote the lines), so describe it plainly.
        return [{"added": {}}] if add else [{"changed": {"fields": ["line items / shipping address"]}}]

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = extra_context or {}
        if object_id:
            order = self.get_object(request, object_id)
            if order is not None:
                extra_context.update(self._move_context(request, order))
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:  # a race the form could not see: report it, change nothing
            messages.error(request, exc.detail)
            return HttpResponseRedirect(request.path)

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    # -- transitions ---------------------------------------------------------------------------------
    def _move_context(self, request: HttpRequest, order: Order) -> dict[str, Any]:
        moves = [
            {"status": status, "label": MOVE_LABELS[status], "needs_form": status in NEEDS_FORM,
             "url": reverse("admin:sales_order_move", args=[order.pk, status])}
            for status in services.order_allowed_statuses(order, request.user)
        ]
        if order.status == OrderStatus.DELIVERED and request.user.has_perm("sales.close_order") \
                and not order.on_hold and not any(m["status"] == OrderStatus.CLOSED for m in moves):
            moves.append({"status": OrderStatus.CLOSED, "label": MOVE_LABELS[OrderStatus.CLOSED],
                          "needs_form": True, "url": reverse("admin:sales_order_move", args=[order.pk, "closed"])})
        can_hold = request.user.has_perm("sales.hold_order") and order.status not in (
            OrderStatus.CLOSED, OrderStatus.CANCELLED)
        invoice = getattr(order, "invoice", None)
        return {
            "invoice_url": reverse("admin:billing_invoice_change", args=[invoice.pk])
            if invoice is not None and request.user.has_perm("billing.view_invoice") else None,
            "order_moves": moves,
            "hold_url": reverse("admin:sales_order_hold", args=[order.pk]) if can_hold and not order.on_hold else None,
            "release_url": (reverse("admin:sales_order_release_hold", args=[order.pk])
                            if request.user.has_perm("sales.hold_order") and order.on_hold else None),
        }

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/move/<str:status>/", wrap(self.move_view), name="sales_order_move"),
            path("<path:object_id>/hold/", wrap(self.hold_view), name="sales_order_hold"),
            path("<path:object_id>/release-hold/", wrap(self.release_hold_view), name="sales_order_release_hold"),
            *super().get_urls(),
        ]

    def _order_or_404(self, request: HttpRequest, object_id: str) -> Order:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(Order, pk=object_id)

    def _back(self, order: Order) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:sales_order_change", args=[order.pk]))

    def move_view(self, request: HttpRequest, object_id: str, status: str) -> HttpResponse:
        order = self._order_or_404(request, object_id)
        if status not in MOVE_LABELS:
            messages.error(request, f"Unknown status {status!r}.")
            return self._back(order)
        if request.method == "GET" and not request.user.has_perm(TRANSITION_PERMISSIONS[status]):
            messages.error(request, f"Your role may not move orders to {status!r}.")
            return self._back(order)
        if request.method == "POST":
            form = MoveForm(request.POST, status=status, user=request.user)
            if status not in NEEDS_FORM or form.is_valid():
                data = form.cleaned_data if status in NEEDS_FORM else {"reason": request.POST.get("reason", "")}
                run_service(request, lambda: services.order_transition(
                    order_id=order.pk, status=status, actor=request.user, reason=data.get("reason", ""),
                    tracking_number=data.get("tracking_number"), carrier=data.get("carrier"),
                    waive_return_window=bool(data.get("waive_return_window")),
                ), f"Order {order.order_number} is now {status}.")
                return self._back(order)
        else:
            form = MoveForm(status=status, user=request.user)
        return action_form_page(self, request, order, form, title=f"{MOVE_LABELS[status].rstrip('…')}: {order}")

    def hold_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._order_or_404(request, object_id)
        if not request.user.has_perm("sales.hold_order"):
            raise PermissionDenied
        form = HoldForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            run_service(request, lambda: services.order_hold(
                order_id=order.pk, actor=request.user, reason=form.cleaned_data["reason"]),
                f"Order {order.order_number} is on hold.")
            return self._back(order)
        return action_form_page(self, request, order, form, title=f"Put {order} on hold")

    def release_hold_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        order = self._order_or_404(request, object_id)
        if not request.user.has_perm("sales.hold_order"):
            raise PermissionDenied
        if request.method != "POST":
            return self._back(order)
        run_service(request, lambda: services.order_release_hold(order_id=order.pk, actor=request.user),
                    f"Order {order.order_number} is no longer on hold.")
        return self._back(order)


    # -- bulk actions --------------------------------------------------------------------------------
    def _bulk(self, request: HttpRequest, queryset: QuerySet[Order], status: str, **kwargs: Any) -> None:
        moved, refused = [], []
        for order in queryset.order_by("pk"):
            try:
                services.order_transition(order_id=order.pk, status=status, actor=request.user, **kwargs)
            except DomainError as exc:
                refused.append(f"{order.order_number}: {exc.detail}")
            else:
                moved.append(order.order_number)
        if moved:
            self.message_user(request, f"{len(moved)} order(s) moved to {status}: {', '.join(moved)}.",
                              messages.SUCCESS)
        if refused:
            self.message_user(request, f"{len(refused)} refused — " + "; ".join(refused), messages.WARNING)

    @admin.action(description="Confirm selected orders (reserve stock)")
    def confirm_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, OrderStatus.CONFIRMED)

    @admin.action(description="Mark selected orders processing")
    def process_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, OrderStatus.PROCESSING)

    @admin.action(description="Mark selected orders delivered")
    def deliver_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, OrderStatus.DELIVERED)

    @admin.action(description="Cancel selected orders")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, OrderStatus.CANCELLED, reason="cancelled from the admin")


