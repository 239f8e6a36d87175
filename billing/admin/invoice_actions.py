"""What finance does on one invoice, as Unfold detail (and row) actions: issue, void, record a payment, issue a
credit note, print, download the PDF. Each calls one service and shows its result or refusal as a message.

Issue and void are moves (``INVOICE_MOVES``), drawn by ``TransitionActionsMixin`` as on the order page: a button
only when the user's role may make the move on the invoice as it is now; when it runs, the service checks the role
and the state and refuses with a message. The other actions are Unfold detail actions whose
``has_<action>_permission(request, object_id)`` draws them for the roles that may use them, when the invoice is
payable (or creditable); the services check the role and the state again when an action runs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from unfold.decorators import action
from unfold.enums import ActionVariant

from synthesq.core.actors import acting_user
from synthesq.core.admin_tools import (
    BackofficeForm,
    action_form_page,
    admin_object,
    back_to,
    drawing_buttons,
    local_day,
    run_service,
)
from synthesq.core.admin_transitions import Move, TransitionActionsMixin
from synthesq.core.money import format_amount, format_money

from .. import services
from ..documents import invoice_document, invoice_pdf, invoice_pdf_filename
from ..models import Invoice, InvoiceStatus, PaymentMethod
from .printing import PrintableDocumentMixin

CREDITABLE = (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED, InvoiceStatus.PAID)
CREDIT_NOTE_ROWS = 3


class PaymentForm(BackofficeForm):
    amount = forms.DecimalField(min_value=0, max_digits=18, decimal_places=4)
    currency = forms.CharField(max_length=3)
    payment_method = forms.ChoiceField(choices=PaymentMethod.choices)
    reference = forms.CharField(max_length=100, help_text="The bank transaction, card authorisation, cheque number…")

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        self.fields["amount"].help_text = f"Amount due: {format_money(invoice.amount_due, invoice.currency)}."


class CreditNoteForm(BackofficeForm):
    """A reason, and either one amount or up to three lines (description, quantity, unit price). Which of the
    two, and every amount rule, is the service's to enforce; the form only gathers the filled rows."""

    reason = forms.CharField(max_length=255, help_text="Printed on the credit note.")
    amount = forms.DecimalField(required=False, min_value=0, max_digits=18, decimal_places=4,
                                help_text="A single amount (goodwill, a price adjustment); or fill in lines below.")

    line1_description = forms.CharField(required=False, max_length=200, label="Line 1: description")
    line1_quantity = forms.IntegerField(required=False, min_value=1, max_value=1_000_000, label="Line 1: quantity")
    line1_unit_price = forms.DecimalField(required=False, min_value=0, max_digits=18, decimal_places=4,
                                          label="Line 1: unit price")
    line2_description = forms.CharField(required=False, max_length=200, label="Line 2: description")
    line2_quantity = forms.IntegerField(required=False, min_value=1, max_value=1_000_000, label="Line 2: quantity")
    line2_unit_price = forms.DecimalField(required=False, min_value=0, max_digits=18, decimal_places=4,
                                          label="Line 2: unit price")
    line3_description = forms.CharField(required=False, max_length=200, label="Line 3: description")
    line3_quantity = forms.IntegerField(required=False, min_value=1, max_value=1_000_000, label="Line 3: quantity")
    line3_unit_price = forms.DecimalField(required=False, min_value=0, max_digits=18, decimal_places=4,
                                          label="Line 3: unit price")

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        left = format_money(invoice.total - invoice.amount_credited, invoice.currency)
        self.fields["amount"].help_text += f" At most {left} (the total less earlier credit notes)."

    def credit_lines(self) -> list[dict[str, Any]] | None:
        """The filled line rows (a row half filled in is an error on its first empty field), or None."""
        lines = []
        for row in range(1, CREDIT_NOTE_ROWS + 1):
            values = {name: self.cleaned_data.get(f"line{row}_{name}") for name in
                      ("description", "quantity", "unit_price")}
            if not any(value not in (None, "") for value in values.values()):
                continue
            missing = [name for name, value in values.items() if value in (None, "")]
            if missing:
                self.add_error(f"line{row}_{missing[0]}", "Required for this line.")
                continue
            lines.append(values)
        return lines or None


class VoidForm(BackofficeForm):
    reason = forms.CharField(max_length=255, label="Why void this invoice?")


INVOICE_MOVES = (
    Move(name="issue", target=InvoiceStatus.ISSUED, label="Issue invoice", icon="send",
         service=lambda invoice, actor, _data: services.invoice_issue(invoice_id=invoice.pk, actor=actor),
         success="Invoice issued.", title="Issue {name}", submit="Issue invoice", attrs={"data-action": "issue"},
         url_path="issue"),
    Move(name="void", target=InvoiceStatus.VOID, label="Void…", icon="block", variant=ActionVariant.DANGER,
         service=lambda invoice, actor, data: services.invoice_void(
             invoice_id=invoice.pk, actor=actor, reason=data["reason"]),
         success="Invoice voided.", title="Void invoice {name}", submit="Void invoice", form=VoidForm,
         attrs={"data-action": "void"}, url_path="void"),
)


class InvoiceActionsMixin(PrintableDocumentMixin, TransitionActionsMixin):
    """For ``InvoiceAdmin``: issue and void (``INVOICE_MOVES``), and the actions that are not moves."""

    transitions = INVOICE_MOVES
    print_template = "billing/invoice_print.html"

    def object_facts(self, invoice: Invoice) -> list[tuple[str, str]]:
        return [("Invoice", str(invoice)), ("Order", invoice.order.order_number),
                ("Customer", invoice.customer_name), ("Total", format_money(invoice.total, invoice.currency)),
                ("Credited", format_money(invoice.amount_credited, invoice.currency)),
                ("Paid", format_money(invoice.amount_paid, invoice.currency)),
                ("Refunded", format_money(invoice.amount_refunded, invoice.currency)),
                ("Amount due", format_money(invoice.amount_due, invoice.currency)),
                ("Due", local_day(invoice.due_at))]

    def has_record_payment_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        if not request.user.has_perm("billing.add_payment"):
            return False
        if object_id is None or not drawing_buttons(request):
            return True  # the service checks the state
        return admin_object(self, request, object_id).payable

    def has_issue_credit_note_permission(self, request: HttpRequest, object_id: str | None = None) -> bool:
        if not request.user.has_perm("billing.add_creditnote"):
            return False
        if object_id is None or not drawing_buttons(request):
            return True  # the service checks the state
        return admin_object(self, request, object_id).status in CREDITABLE

    @action(description="Record payment…", url_path="record-payment", permissions=["record_payment"],
            icon="payments", variant=ActionVariant.PRIMARY, attrs={"data-action": "record-payment"})
    def record_payment(self, request: HttpRequest, object_id: str) -> HttpResponse:
        invoice: Invoice = admin_object(self, request, object_id)
        form = PaymentForm(request.POST or None, invoice=invoice, initial={
            "currency": invoice.currency, "amount": format_amount(invoice.amount_due, invoice.currency)})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            currency = data["currency"].upper()
            ok = run_service(request, lambda: services.payment_record(
                invoice_id=invoice.pk, amount=data["amount"], currency=currency,
                payment_method=data["payment_method"], reference=data["reference"], actor=acting_user(request),
            ), f"Payment of {format_money(data['amount'], currency)} recorded.")
            if ok:
                return back_to(invoice)
        return action_form_page(self, request, invoice, form, title=f"Record a payment on {invoice}",
                                submit_label="Record payment", facts=self.object_facts(invoice))

    @action(description="Issue credit note…", url_path="credit-note", permissions=["issue_credit_note"],
            icon="receipt_long", attrs={"data-action": "credit-note"})
    def issue_credit_note(self, request: HttpRequest, object_id: str) -> HttpResponse:
        invoice: Invoice = admin_object(self, request, object_id)
        form = CreditNoteForm(request.POST or None, invoice=invoice)
        if request.method == "POST" and form.is_valid():
            lines = form.credit_lines()
            if form.is_valid():  # no half-filled line
                data = form.cleaned_data
                ok = run_service(request, lambda: services.credit_note_issue(
                    invoice_id=invoice.pk, lines=lines, amount=data["amount"], reason=data["reason"],
                    actor=acting_user(request)), "Credit note issued.")
                if ok:
                    return back_to(invoice)
        return action_form_page(self, request, invoice, form, title=f"Issue a credit note on {invoice}",
                                submit_label="Issue credit note", facts=self.object_facts(invoice),
                                intro="A credit note reduces what the customer owes; money already paid beyond "
                                      "the new amount due can then be refunded from the payment's page.")

    @action(description="Printable invoice", url_path="print", permissions=["print"], icon="print",
            attrs={"data-action": "print", "target": "_blank"})
    def print_invoice(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self.print_view(request, object_id)

    def document_context(self, invoice: Invoice) -> dict[str, Any]:
        return invoice_document(invoice)

    def document_pdf(self, invoice: Invoice) -> tuple[bytes, str]:
        return invoice_pdf(invoice), invoice_pdf_filename(invoice)
