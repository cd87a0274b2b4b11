"""Finding 3: every Django-admin add/change/delete is audited (object and changed field names,
never values); the change page and the list are audited reads. The test walks every model
registered on the admin site: a new registration without a builder below fails it."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import admin
from django.db import models
from django.forms import MultiWidget
from django.urls import reverse

from accounts.admin_site import GuardedAdmin
from audit.models import AuditEvent

Builder = Callable[[], models.Model]


def _group() -> models.Model:
    from django.contrib.auth.models import Group

    return Group.objects.create(name="相談員グループ")


def _task_result() -> models.Model:
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.create(
        task_path="exports.tasks.run_export_job", args_kwargs={"args": [], "kwargs": {}},
        queue_name="default", backend_name="default", priority=0, run_after=timezone.now(),
        enqueued_at=timezone.now(),
    )  # fmt: skip


def _totp() -> models.Model:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

    user = User.objects.get(username="counselor")
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _jurisdiction() -> models.Model:
    from core.models import Jurisdiction

    return Jurisdiction.objects.create(prefecture_code="39", name_ja="テスト管轄")


def _municipality() -> models.Model:
    from core.models import Municipality

    return Municipality.objects.get(code="392014")


def _user() -> models.Model:
    from accounts.models import User

    return User.objects.get(username="counselor")


def _throttle() -> models.Model:
    from django.utils import timezone

    from accounts.models import LoginThrottle

    now = timezone.now()
    return LoginThrottle.objects.create(
        username_key="someone", failures=2, first_failure_at=now, last_failure_at=now
    )


def _audit_event() -> models.Model:
    from audit.services import Action, audit_record

    return audit_record(action=Action.LOGOUT, object_type="accounts.user")


def _issue_tag() -> models.Model:
    from cases.models import IssueTag

    return IssueTag.objects.create(code="test-tag", name_ja="テスト課題", sort_order=99)


def _agency() -> models.Model:
    from tests.factories import AgencyFactory

    return AgencyFactory()


def _platform() -> models.Model:
    from tests.factories import PlatformFactory

    return PlatformFactory()


def _status() -> models.Model:
    from tests.factories import MunicipalStatusFactory

    return MunicipalStatusFactory()


def _meeting() -> models.Model:
    from tests.factories import CaseMeetingFactory

    return CaseMeetingFactory(decisions="母親面談を継続する")


def _resource_kind() -> models.Model:
    from tests.factories import ResourceKindFactory

    return ResourceKindFactory()


def _resource() -> models.Model:
    from tests.factories import ResourceFactory

    return ResourceFactory()


def _target() -> models.Model:
    from kpi.models import Indicator, Target

    return Target.objects.create(
        fiscal_year=2031, indicator=Indicator.values[0], value=10, prefecture_code="39"
    )


def _baseline() -> models.Model:
    from kpi.models import Baseline, Indicator

    return Baseline.objects.create(
        fiscal_year=2032, indicator=Indicator.values[0], value=5, prefecture_code="39"
    )


def _survey() -> models.Model:
    from kpi.models import SurveyCount

    return SurveyCount.objects.create(
        municipality=_municipality(), survey_date=dt.date(2023, 1, 1), persons=3
    )


def _place_support() -> models.Model:
    from tests.factories import PlaceSupportFactory

    return PlaceSupportFactory(note="県の補助")


def _casework_list(model_name: str) -> Builder:
    def build() -> models.Model:
        from django.apps import apps

        model = apps.get_model("casework", model_name)
        return model.objects.create(
            code=f"test-{model_name.lower()}", name_ja="テスト項目", sort_order=99
        )

    return build


BUILDERS: dict[str, Builder] = {
    "auth.group": _group,
    "django_tasks_database.dbtaskresult": _task_result,
    "otp_totp.totpdevice": _totp,
    "core.jurisdiction": _jurisdiction,
    "core.municipality": _municipality,
    "accounts.user": _user,
    "accounts.loginthrottle": _throttle,
    "audit.auditevent": _audit_event,
    "cases.issuetag": _issue_tag,
    "platforms.agency": _agency,
    "platforms.platform": _platform,
    "platforms.municipalstatus": _status,
    "platforms.casemeeting": _meeting,
    "referrals.resourcekind": _resource_kind,
    "referrals.resource": _resource,
    "kpi.target": _target,
    "kpi.baseline": _baseline,
    "kpi.surveycount": _survey,
    "programme.placesupport": _place_support,
    "casework.assessmentdomain": _casework_list("AssessmentDomain"),
    "casework.supportstage": _casework_list("SupportStage"),
    "casework.progressstep": _casework_list("ProgressStep"),
}

REGISTERED = sorted(m._meta.label_lower for m in admin.site._registry)


def test_every_registered_admin_has_a_builder_and_the_guard() -> None:
    missing = sorted(set(REGISTERED) - set(BUILDERS))
    assert not missing, f"admin models without a builder in this test: {missing}"
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, GuardedAdmin), model._meta.label


def _post_data(form: Any) -> dict[str, Any]:
    """The change form's own values, as the browser would send them back unchanged."""
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if value is None:
            continue
        widget = field.widget
        if isinstance(widget, MultiWidget):  # a split date and time (date_joined…)
            parts = value if isinstance(value, list | tuple) else widget.decompress(value)
            for index, part in enumerate(parts):
                data[f"{name}_{index}"] = "" if part is None else str(part)
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(getattr(value, "pk", value))
    return data


def _events(**filters: Any) -> Any:
    return AuditEvent.objects.filter(user__username="admin", **filters)


@pytest.mark.parametrize("label", REGISTERED)
@pytest.mark.django_db
def test_admin_reads_and_changes_are_audited(login, admin_user, counselor, label: str) -> None:
    obj = BUILDERS[label]()
    model = type(obj)
    model_admin = admin.site._registry[model]
    app, name = model._meta.app_label, model._meta.model_name
    client = login(admin_user)

    listed = client.get(reverse(f"admin:{app}_{name}_changelist"))
    assert listed.status_code == 200
    assert _events(action="list", object_type=label).count() == 1

    change_url = reverse(f"admin:{app}_{name}_change", args=[obj.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    assert _events(action="view", object_type=label, object_id=str(obj.pk)).count() == 1

    request = page.wsgi_request
    if model_admin.has_change_permission(request, obj):
        form = page.context["adminform"].form
        data = _post_data(form)
        changed = _first_editable_text_field(form)
        if changed:
            data[changed] = (data.get(changed) or "") + "x"
        response = client.post(change_url, data)
        assert response.status_code == 302, getattr(response, "context", None) and [
            (f.name, f.errors) for f in response.context["adminform"].form
        ]
        [update] = _events(action="update", object_type=label, object_id=str(obj.pk))
        if changed:
            assert changed in update.changed_fields
        # Names only: no value of any field appears in the row.
        assert "x" not in str(update.filters) and update.reason == "admin"

    if model_admin.has_delete_permission(request, obj) and label not in PROTECTED:
        delete_url = reverse(f"admin:{app}_{name}_delete", args=[obj.pk])
        response = client.post(delete_url, {"post": "yes"})
        assert response.status_code == 302
        assert not model.objects.filter(pk=obj.pk).exists()
        assert _events(action="delete", object_type=label, object_id=str(obj.pk)).count() == 1


# Rows other records depend on (PROTECT): deleting them is refused by the database.
PROTECTED = {"core.municipality", "accounts.user"}
# Fields a test may append "x" to without making the form invalid.
TEXT_FIELDS = ("name", "display_name", "name_ja", "note", "notes", "username_key", "source")


def _first_editable_text_field(form: Any) -> str | None:
    for name in TEXT_FIELDS:
        if name in form.fields and not form.fields[name].disabled:
            return name
    return None


@pytest.mark.django_db
def test_giving_a_counselor_another_municipality_is_audited_with_field_names_only(
    login, admin_user, counselor, muroto
) -> None:
    client = login(admin_user)
    url = reverse("admin:accounts_user_change", args=[counselor.pk])
    form = client.get(url).context["adminform"].form
    data = _post_data(form)
    data["municipalities"] = [*data.get("municipalities", []), str(muroto.pk)]
    assert client.post(url, data).status_code == 302
    assert muroto in counselor.municipalities.all()
    [event] = _events(action="update", object_type="accounts.user")
    assert "municipalities" in event.changed_fields
    assert event.object_id == str(counselor.pk)
    assert str(muroto.pk) not in str(event.filters) + event.reason


@pytest.mark.django_db
def test_an_admin_list_edit_is_audited(login, admin_user) -> None:
    from cases.models import IssueTag

    tag = IssueTag.objects.create(code="edit-me", name_ja="一覧編集", sort_order=1, active=True)
    client = login(admin_user)
    listed = client.get(reverse("admin:cases_issuetag_changelist"))
    formset = listed.context["cl"].formset
    data = {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
    for index, form in enumerate(formset.forms):
        data[f"form-{index}-id"] = str(form.instance.pk)
        data[f"form-{index}-sort_order"] = str(form.instance.sort_order)
        if form.instance.active:
            data[f"form-{index}-active"] = "on"
        if form.instance.pk == tag.pk:
            data.pop(f"form-{index}-active", None)
    data["_save"] = "Save"
    response = client.post(reverse("admin:cases_issuetag_changelist"), data)
    assert response.status_code == 302
    tag.refresh_from_db()
    assert tag.active is False
    [event] = _events(action="update", object_type="cases.issuetag", object_id=str(tag.pk))
    assert event.changed_fields == ["active"]


@pytest.mark.django_db
def test_an_admin_password_change_is_audited_by_name(login, admin_user, counselor) -> None:
    url = reverse("admin:auth_user_password_change", args=[counselor.pk])
    password = "a-new-long-password-2026"
    response = login(admin_user).post(
        url, {"password1": password, "password2": password, "usable_password": "true"}
    )
    assert response.status_code == 302
    counselor.refresh_from_db()
    assert counselor.check_password(password)
    [event] = _events(action="update", object_type="accounts.user", object_id=str(counselor.pk))
    assert event.changed_fields == ["password"]
