"""The admin site: no login page of its own, every change audited, every list confined to the
admin's prefecture.

Django's admin login form would bypass the lockout and the second factor; its URL sends the
user to `accounts:login` instead. Who may use the admin once logged in is unchanged
(`is_staff`), and `accounts.middleware.OTPRequiredMiddleware` holds back a staff user who has
not passed the second factor on every page, the admin included.

Every ModelAdmin registered on this site (ours, and those of django-otp, django-tasks and
auth) is given `GuardedAdmin` as its first base class when it is registered, so no admin can
forget it:
- add / change / delete write one audit row each, in the admin's own transaction, with the
  object and the names of the changed fields (never their values); the change page and the
  list write a VIEW / LIST row (the meeting page shows decisions, the user page who sees what);
- with a prefecture code on the admin, querysets, choices of related objects and the
  prefecture code typed on a record are confined to that prefecture (`prefecture_path`: the
  lookup from the model to a prefecture code; found by itself for a `prefecture_code` field
  or a `municipality` foreign key; None = shared reference lists, e.g. issue tags).
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import in_prefecture, prefecture_users
from accounts.types import AnyUser
from audit.services import Action, audit_record

AUTO = object()


def _forward_fields(model: type[models.Model]) -> set[str]:
    return {f.name for f in model._meta.fields}


def prefecture_path_of(model: type[models.Model]) -> str | None:
    names = _forward_fields(model)
    if "prefecture_code" in names:
        return "prefecture_code"
    if "municipality" in names:
        return "municipality__prefecture_code"
    return None


def confine(
    queryset: models.QuerySet[Any], user: AnyUser, path: Any = AUTO
) -> models.QuerySet[Any]:
    """`queryset` limited to the user's prefecture, by `path` (AUTO: found from the model)."""
    from accounts.models import User

    model = queryset.model
    if issubclass(model, User):
        return queryset.filter(pk__in=prefecture_users(user).values("pk"))
    if path is AUTO:
        path = prefecture_path_of(model)
        if path is None and "user" in _forward_fields(model):
            # Per-user records (the TOTP devices): the user's prefecture.
            return queryset.filter(user__in=prefecture_users(user).values("pk"))
    return in_prefecture(queryset, user, path) if path else queryset


def _confined_choices(field: Any, request: HttpRequest) -> Any:
    """A related-object form field whose choices stop at the admin's prefecture."""
    queryset = getattr(field, "queryset", None)
    if queryset is not None:
        field.queryset = confine(queryset, request.user)
    return field


class GuardedAdmin(admin.ModelAdmin[Any]):
    # An admin class sets `prefecture_path` (None: not confined here) to override AUTO; read
    # with getattr, since this class comes first in the registered class's bases.

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        path = getattr(self, "prefecture_path", AUTO)
        return confine(super().get_queryset(request), request.user, path)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _confined_choices(field, request)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _confined_choices(field, request)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        form = super().get_form(request, obj, change=change, **kwargs)
        code = getattr(request.user, "prefecture_code", "")
        if not code or "prefecture_code" not in form.base_fields:
            return form

        def clean_prefecture_code(self: forms.ModelForm[Any]) -> str:
            value = str(self.cleaned_data.get("prefecture_code") or "")
            if value != code:
                raise forms.ValidationError(
                    _("都道府県コードは、あなたの都道府県（%(code)s）にしてください。")
                    % {"code": code}
                )
            return value

        return type(form.__name__, (form,), {"clean_prefecture_code": clean_prefecture_code})

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        code = getattr(request.user, "prefecture_code", "")
        if code and "prefecture_code" in _forward_fields(self.model):
            initial.setdefault("prefecture_code", code)
        return initial

    # --- The audit trail -------------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            action=Action.UPDATE if change else Action.CREATE,
            request=request,
            obj=obj,
            changed_fields=form.changed_data,
            reason="admin",
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(action=Action.DELETE, request=request, obj=obj, reason="admin")
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        for obj in queryset:
            audit_record(action=Action.DELETE, request=request, obj=obj, reason="admin")
        super().delete_queryset(request, queryset)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, object_id)
            if obj is not None:
                audit_record(action=Action.VIEW, request=request, obj=obj, reason="admin")
        return response

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and response.status_code == 200:
            changelist = getattr(response, "context_data", {}).get("cl")
            audit_record(
                action=Action.LIST,
                request=request,
                object_type=self.model._meta.label_lower,
                row_count=changelist.result_count if changelist is not None else None,
                reason="admin",
            )
        return response


class SecureAdminSite(admin.AdminSite):
    site_header = _("ひきこもり支援ケース管理 管理画面")
    site_title = _("管理画面")

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect_to_login(next_url, reverse("accounts:login"))

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, GuardedAdmin):
            admin_class = type(
                admin_class.__name__,
                (GuardedAdmin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
