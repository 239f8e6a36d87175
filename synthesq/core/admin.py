"""API tokens, users and groups, and each staff member's own preferences, in the back-office (Unfold)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from . import backoffice
from .actors import acting_user
from .admin_tools import BackofficeForm, action_form_page
from .models import ApiToken, StaffPreferences
from .services import api_token_create, api_token_revoke
from .timezones import remember_time_zone, staff_time_zone, time_zone_choices


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    list_display = ["key_prefix", "user", "name", "created_at", "last_used_at", "is_active_display"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["user__username", "name", "key_prefix"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    @admin.display(description="active", boolean=True)
    def is_active_display(self, obj: ApiToken) -> bool:
        return obj.is_active

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("user", "name")
        return ("user", "name", "key_prefix", "created_at", "last_used_at", "revoked_at")

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list[str]:
        if obj is None:
            return []
        return ["user", "name", "key_prefix", "created_at", "last_used_at", "revoked_at"]

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        token, plain = api_token_create(user=obj.user, name=obj.name)
        obj.pk, obj.key_prefix, obj.digest, obj.created_at = token.pk, token.key_prefix, token.digest, token.created_at
        messages.warning(request, f"New token for {obj.user} (copy it now, it will not be shown again): {plain}")

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token)
            count += 1
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)


# Users and groups on Unfold's forms (Django registered them on its own admin classes).
for model in (User, Group):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "roles"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def roles(self, user: User) -> str:
        return ", ".join(group.name for group in user.groups.all()) or "—"


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin, ModelAdmin):
    pass


class TimeZoneForm(BackofficeForm):
    time_zone = forms.ChoiceField(label="Your time zone", choices=time_zone_choices,
                                  help_text="Dates and times in the back-office are shown in it, to the minute.")


@admin.register(StaffPreferences)
class StaffPreferencesAdmin(ModelAdmin):
    """Each staff member sets their own time zone ("mine/"); the model is not listed in the sidebar."""

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        return {}

    def get_urls(self) -> list[Any]:
        return [path("mine/", self.admin_site.admin_view(self.mine_view), name="core_staffpreferences_mine"),
                *super().get_urls()]

    def mine_view(self, request: HttpRequest) -> HttpResponse:
        form = TimeZoneForm(request.POST or None, initial={"time_zone": staff_time_zone(request)})
        if request.method == "POST" and form.is_valid():
            name = form.cleaned_data["time_zone"]
            StaffPreferences.objects.update_or_create(user=acting_user(request), defaults={"time_zone": name})
            remember_time_zone(request, name)
            messages.success(request, f"Dates are now shown in {name}.")
            return HttpResponseRedirect(reverse("admin:index"))
        preferences = StaffPreferences(user=acting_user(request), time_zone=staff_time_zone(request))
        return action_form_page(self, request, preferences, form, title="Your time zone", submit_label="Save",
                                back_url=reverse("admin:index"))


backoffice.nav_group("Administration", order=90)
backoffice.nav_item("Administration", title="API tokens", url_name="admin:core_apitoken_changelist", icon="key",
                    permission="core.view_apitoken", order=10)
backoffice.nav_item("Administration", title="Users", url_name="admin:auth_user_changelist", icon="person",
                    permission="auth.view_user", order=20)
backoffice.nav_item("Administration", title="Roles (groups)", url_name="admin:auth_group_changelist",
                    icon="group", permission="auth.view_group", order=30)
