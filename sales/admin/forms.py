"""The admin's forms for orders: the order (customer, currency, shipping address), its lines, and what a
move or a hold asks for. Rules are the services' and ``sales.addresses``'s; forms only place the refusals
next to the fields staff typed them in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import BaseInlineFormSet
from unfold.widgets import (
    UnfoldAdminDecimalFieldWidget,
    UnfoldAdminIntegerFieldWidget,
    UnfoldAdminTextInputWidget,
)

from synthesq.core.admin_fields import CodeChoiceField, CurrencyChoiceField
from synthesq.core.admin_messages import refusal_message
from synthesq.core.admin_tools import BackofficeForm
from synthesq.core.errors import DomainError, ValidationFailed
from synthesq.core.money import is_known_currency, quantize

from .. import services
from ..addresses import ADDRESS_PARTS, COUNTRY_MESSAGE, address_clean, country_choices
from ..exceptions import CurrencyMismatch
from ..models import Customer, Order, OrderLine, OrderStatus

ADDRESS_FIELDS = [f"ship_{part.name}" for part in ADDRESS_PARTS]
_PARTS = {part.name: part for part in ADDRESS_PARTS}


def _address_field(name: str) -> forms.CharField:
    part = _PARTS[name]
    label = f"{part.label} ({part.help_text})" if part.help_text else part.label
    return forms.CharField(label=label, max_length=part.max_length, required=False,
                           widget=UnfoldAdminTextInputWidget)


class AddressFormMixin(forms.ModelForm):
    """A postal address as plain fields (``ship_line1``…), validated by ``sales.addresses``."""

    ship_line1 = _address_field("line1")
    ship_line2 = _address_field("line2")
    ship_city = _address_field("city")
    ship_state = _address_field("state")
    ship_postal_code = _address_field("postal_code")
    ship_country = CodeChoiceField(label="Country", required=False, choices=[("", "—"), *country_choices()],
                                   help_text="ISO 3166-1: type the country's name or code to search.",
                                   error_messages={"invalid_choice": f"%(value)r: {COUNTRY_MESSAGE}"})

    def set_address_initial(self, address: dict[str, Any] | None) -> None:
        for part in ADDRESS_PARTS:
            if address:
                self.fields[f"ship_{part.name}"].initial = address.get(part.name, "")

    def address(self) -> dict[str, str] | None:
        """The address entered, validated by ``sales.addresses``, or None when left empty."""
        raw = {part.name: (self.cleaned_data.get(f"ship_{part.name}") or "").strip() for part in ADDRESS_PARTS}
        if not any(raw.values()):
            return None
        try:
            return address_clean({name: value for name, value in raw.items() if value})
        except ValidationFailed as exc:
            for error in exc.extra["errors"]:
                self.add_error(f"ship_{error['field']}", error["message"])
            return None


class OrderForm(AddressFormMixin):
    """Customer and currency (on creation), and the shipping address as plain fields."""

    currency = CurrencyChoiceField()

    class Meta:
        model = Order
        fields = ["customer", "currency"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The primary key has a default (a new ULID), so "new" is ``_state.adding``, not a missing pk.
        adding = self.instance._state.adding
        self.set_address_initial(None if adding else self.instance.shipping_address)
        if adding:
            for name in ADDRESS_FIELDS:
                self.fields[name].help_text = "Leave the address empty to use the customer's default."

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        self.cleaned_address = self.address()
        customer = data.get("customer")
        if self.instance._state.adding and self.cleaned_address is None and customer is not None \
                and not customer.default_shipping_address:
            self.add_error("ship_line1", "The customer has no default shipping address: enter one.")
        return data


class CustomerForm(AddressFormMixin):
    """A customer, with the default shipping address as postal fields (not JSON)."""

    class Meta:
        model = Customer
        fields = ["name", "email", "phone", "tax_id", "tax_exempt", "tax_exempt_reason", "price_list"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_address_initial(self.instance.default_shipping_address)

    def clean(self) -> dict[str, Any]:
        super().clean()
        self.cleaned_address = self.address()
        if self.cleaned_data.get("tax_exempt") and not (self.cleaned_data.get("tax_exempt_reason") or "").strip():
            self.add_error("tax_exempt_reason", "Required when the customer is tax exempt.")
        return self.cleaned_data


class OrderLineForm(forms.ModelForm):
    # Declared fields skip the admin's formfield overrides: Unfold's widgets are named here, or the inputs are
    # drawn without border or background (invisible in the lines' table).
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, widget=UnfoldAdminIntegerFieldWidget)
    unit_price = forms.DecimalField(required=False, min_value=0, max_digits=18, decimal_places=4,
                                    widget=UnfoldAdminDecimalFieldWidget(attrs={"inputmode": "decimal"}),
                                    help_text="Empty: the product's price.")

    class Meta:
        model = OrderLine
        fields = ["product", "quantity", "unit_price"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        line = self.instance
        if line.pk and line.unit_price is not None:  # "129.99", not the column's "129.9900"
            self.initial["unit_price"] = quantize(line.unit_price, line.order.currency)


class OrderLineFormSet(BaseInlineFormSet):
    """Checks the lines exactly as the service will (products, variants, currency, decimals)."""

    def _live_forms(self) -> list[forms.BaseForm]:
        return [form for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("product")]

    def line_inputs(self) -> list[services.LineInput]:
        return [
            services.LineInput(product_id=form.cleaned_data["product"].pk, quantity=form.cleaned_data["quantity"],
                               unit_price=form.cleaned_data.get("unit_price"))
            for form in self._live_forms()
        ]

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        if not self.instance._state.adding and self.instance.status != OrderStatus.DRAFT:
            return  # read-only lines (not posted, not saved): nothing to check
        currency = self.instance.currency if self.instance.pk else self.data.get("currency", "").strip().upper()
        if not is_known_currency(currency or ""):
            return  # the order form reports the currency
        try:
            services.order_lines_validate(currency=currency, line_items=self.line_inputs())
        except CurrencyMismatch as exc:
            live = self._live_forms()
            for line in exc.extra["lines"]:
                live[line["line"]].add_error(
                    "unit_price", f"Priced in {line['product_currency']}: give a unit price in {currency}.")
        except DomainError as exc:
            if not self._place_line_errors(exc):
                raise forms.ValidationError(refusal_message(exc)) from exc

    def _place_line_errors(self, exc: DomainError) -> bool:
        """Put ``line_items[i].field`` errors on the line's form; returns whether any was placed."""
        live = self._live_forms()
        placed = False
        for error in exc.extra.get("errors", []):
            field = error.get("field") or ""
            if field.startswith("line_items["):
                index = int(field[len("line_items["):field.index("]")])
                name = field.rsplit(".", 1)[-1] if "." in field else ""
                live[index].add_error({"product_id": "product"}.get(name, name) or None, error["message"])
                placed = True
        return placed


WAIVE_LABEL = "Waive the return window"


class MoveForm(BackofficeForm):
    """What a move asks for: tracking for shipping, a reason for cancelling, the waiver for closing."""

    tracking_number = forms.CharField(max_length=64)
    carrier = forms.CharField(max_length=64)
    waive_return_window = forms.BooleanField(required=False, label=WAIVE_LABEL,
                                             help_text="Close now, before the customer's return window has passed.")
    reason = forms.CharField(max_length=255, required=False)

    def __init__(self, *args: Any, status: str, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if status != OrderStatus.SHIPPED:
            del self.fields["tracking_number"], self.fields["carrier"]
        if status != OrderStatus.CLOSED or not user.has_perm("sales.waive_return_window"):
            del self.fields["waive_return_window"]
        if status not in (OrderStatus.CANCELLED, OrderStatus.CLOSED):
            del self.fields["reason"]
        elif status == OrderStatus.CANCELLED:
            self.fields["reason"].required = True
            self.fields["reason"].label = "Cancellation reason"


class HoldForm(BackofficeForm):
    reason = forms.CharField(max_length=255, label="Why is the order on hold?")
