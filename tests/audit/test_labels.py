"""The audit trail in words: search by case number, Japanese labels for objects and fields,
filters as 「市町村：安芸市」, reasons in the reader's language."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import Action, audit_record
from cases.models import Case
from core.models import Municipality
from tests.factories import CaseFactory, ConsultationFactory

URL = reverse("audit:list")
pytestmark = pytest.mark.django_db


def test_search_by_case_number_finds_the_case_and_its_records(
    login, admin_user, kochi_city
) -> None:
    case = CaseFactory(person__municipality=kochi_city)
    other = CaseFactory(person__municipality=kochi_city)
    consultation = ConsultationFactory(case=case)
    audit_record(action=Action.VIEW, user=admin_user, obj=case)
    audit_record(action=Action.UPDATE, user=admin_user, obj=consultation)
    audit_record(action=Action.VIEW, user=admin_user, obj=other)
    response = login(admin_user).get(URL, {"case_number": case.number})
    listed = {(e.object_type, e.object_id) for e in response.context["events"]}
    assert listed == {("cases.case", str(case.pk)), ("cases.consultation", str(consultation.pk))}


def test_rows_read_in_words(login, admin_user, kochi_city) -> None:
    aki = Municipality.objects.get(code="392031")
    case = CaseFactory(person__municipality=kochi_city)
    consultation = ConsultationFactory(case=case)
    audit_record(
        action=Action.UPDATE, user=admin_user, obj=consultation,
        changed_fields=["duration_minutes", "notes"],
    )  # fmt: skip
    audit_record(
        action=Action.UPDATE, user=admin_user, obj=case,
        changed_fields=["assigned_counselor", "person.name"],
    )  # fmt: skip
    audit_record(
        action=Action.LIST, user=admin_user, object_type="cases.case",
        filters={"municipality": [str(aki.pk)], "status": "active"},
    )  # fmt: skip
    audit_record(
        action=Action.DENIED, user=admin_user, object_type="cases.case",
        reason="no personal-data rights",
    )  # fmt: skip
    body = login(admin_user).get(URL).content.decode()
    assert "相談記録" in body and "相談ケース" in body
    assert "<code>cases.case</code>" not in body
    assert "所要時間" in body and "duration_minutes" not in body
    assert "担当相談員" in body and "本人・氏名" in body
    assert "市町村：安芸市" in body and "municipality=" not in body
    assert "状況：支援中" in body
    assert "個人情報を閲覧する権限がありません" in body
    assert "no personal-data rights" not in body


def test_object_type_is_chosen_by_its_japanese_name(login, admin_user) -> None:
    response = login(admin_user).get(URL)
    choices = dict(response.context["filter"].form.fields["object_type"].choices)
    assert choices["cases.case"] == "相談ケース"
    assert choices["platforms.casemeeting"] == "ケース会議"


def test_an_unknown_case_number_finds_nothing_and_the_search_is_recorded(
    login, admin_user, kochi_city
) -> None:
    case = CaseFactory(person__municipality=kochi_city)
    audit_record(action=Action.VIEW, user=admin_user, obj=case)
    assert Case.objects.count() == 1
    response = login(admin_user).get(URL, {"case_number": "存在しない-R8-0001"})
    assert list(response.context["events"]) == []
    assert AuditEvent.objects.filter(action="list", filters__case_number="存在しない-R8-0001")


def test_export_rows_name_what_was_exported(login, admin_user) -> None:
    audit_record(
        action=Action.EXPORT, user=admin_user, object_type="export.consultations",
        filters={"include_personal": False}, row_count=3,
    )  # fmt: skip
    body = login(admin_user).get(URL).content.decode()
    assert "出力（相談記録）" in body
    assert "個人情報を含める：いいえ" in body
