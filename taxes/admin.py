"""The tax configuration in the back-office: classes, rates and the settings, under "Taxes" in the sidebar. Every
role reads them; finance and superusers change them, each change through ``taxes.services`` (the forms show its
refusals on their fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from synthesq.core import backoffice
from synthesq.core.actors import acting_user
from synthesq.core.errors import DomainError, ValidationFailed

from . import services
from .models import STANDARD, TaxClass, TaxRate, TaxSettings


def _show_refusal(form: forms.ModelForm, exc: ValidationFailed) -> None:
    for error in exc.extra.get("errors") or [{"field": None, "message": exc.detail}]:
        field = error["field"] if error["field"] in form.fields else None
        form.add_error(field, error["message"])


@admin.register(TaxClass)
class TaxClassAdmin(ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    fields = ("code", "name")

    def get_readonly_fields(self, request: HttpRequest, obj: TaxClass | None = None) -> tuple[str, ...]:
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: TaxClass | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or obj.code != STANDARD)

    def save_model(self, request: HttpRequest, obj: TaxClass, form: Any, change: bool) -> None:
        actor = acting_user(request)
        if change:
            services.tax_class_update(actor=actor, code=obj.code, data={"name": obj.name})
        else:
            services.tax_class_create(actor=actor, code=obj.code, name=obj.name)

    def delete_model(self, request: HttpRequest, obj: TaxClass) -> None:
        try:
            services.tax_class_delete(actor=acting_user(request), code=obj.code)
        except DomainError as exc:
            messages.error(request, exc.detail)


class TaxRateForm(forms.ModelForm):
    class Meta:
        model = TaxRate
        fields = ("tax_class", "country", "region", "name", "rate", "valid_from", "valid_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                services.tax_rate_check(values=dict(data), rate_id=None if self.instance._state.adding
                                        else self.instance.pk)
            except ValidationFailed as exc:
                _show_refusal(self, exc)
        return data


@admin.register(TaxRate)
class TaxRateAdmin(ModelAdmin):
    form = TaxRateForm
    list_display = ("name", "tax_class", "country", "region", "rate", "valid_from", "valid_to")
    list_filter = ("country", "tax_class")
    search_fields = ("name", "country", "region")

    def save_model(self, request: HttpRequest, obj: TaxRate, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in TaxRateForm.Meta.fields}
        if change:
            services.tax_rate_update(actor=acting_user(request), rate_id=obj.pk, data=values)
            return
        obj.pk = services.tax_rate_create(actor=acting_user(request), **values).pk

    def delete_model(self, request: HttpRequest, obj: TaxRate) -> None:
        services.tax_rate_delete(actor=acting_user(request), rate_id=obj.pk)


@admin.register(TaxSettings)
class TaxSettingsAdmin(ModelAdmin):
    list_display = ("__str__", "prices_include_tax", "rounding")
    fields = ("prices_include_tax", "rounding")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: TaxSettings | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: TaxSettings, form: Any, change: bool) -> None:
        services.tax_settings_update(actor=acting_user(request), prices_include_tax=obj.prices_include_tax,
                                     rounding=obj.rounding)


backoffice.nav_group("Taxes", order=35)
backoffice.nav_item("Taxes", title="Tax rates", url_name="admin:taxes_taxrate_changelist", icon="percent",
                    permission="taxes.view_taxrate", order=10)
backoffice.nav_item("Taxes", title="Tax classes", url_name="admin:taxes_taxclass_changelist", icon="category",
                    permission="taxes.view_taxclass", order=20)
backoffice.nav_item("Taxes", title="Tax settings", url_name="admin:taxes_taxsettings_changelist", icon="tune",
                    permission="taxes.view_taxsettings", order=30)
