"""Correction with a trace: void (取消) a consultation, a case, an employment outcome, undo the
last referral step; by the recorder within VOID_WINDOW_HOURS, by the centre/admin after it."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases import services
from cases.models import Case, Consultation
from referrals import services as referral_services
from referrals.models import Referral
from tests.cases.conftest import days_ago
from tests.factories import EmploymentOutcomeFactory, ResourceFactory

pytestmark = pytest.mark.django_db


def _age(obj, hours: float) -> None:
    type(obj).objects.filter(pk=obj.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=hours)
    )
    obj.refresh_from_db()


def test_the_recorder_voids_a_consultation_with_a_reason_and_it_stays_struck_through(
    login, counselor, case
) -> None:
    consultation = case.consultations.get()
    url = reverse("cases:consultation_void", args=[case.pk, consultation.pk])
    client = login(counselor)
    assert client.post(url, {"reason": ""}).status_code == 200  # reason required
    consultation.refresh_from_db()
    assert consultation.voided_at is None
    response = client.post(url, {"reason": "別のケースに記録すべきものだった"})
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.voided_by == counselor
    assert consultation.void_reason == "別のケースに記録すべきものだった"
    event = AuditEvent.objects.get(action=AuditEvent.Action.VOID, object_id=str(consultation.pk))
    assert event.reason == "別のケースに記録すべきものだった"
    page = client.get(case.get_absolute_url()).content.decode()
    assert "is-voided" in page and "取消済み" in page
    assert "別のケースに記録すべきものだった" in page


def test_a_colleague_may_not_void_someone_elses_record(login, colleague, case) -> None:
    consultation = case.consultations.get()
    url = reverse("cases:consultation_void", args=[case.pk, consultation.pk])
    response = login(colleague).post(url, {"reason": "x"})
    assert "取消できるのは" in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.voided_at is None


def test_after_the_window_only_the_centre_or_an_admin_may_void(
    settings, counselor, center, case
) -> None:
    settings.VOID_WINDOW_HOURS = 24
    consultation = case.consultations.get()
    _age(consultation, 25)
    with pytest.raises(PermissionDenied):
        services.consultation_void(user=counselor, consultation=consultation, reason="x")
    services.consultation_void(user=center, consultation=consultation, reason="重複")
    consultation.refresh_from_db()
    assert consultation.voided_by == center


def test_a_voided_record_cannot_be_voided_twice(counselor, case) -> None:
    consultation = case.consultations.get()
    services.consultation_void(user=counselor, consultation=consultation, reason="a")
    with pytest.raises(ValidationError):
        services.consultation_void(user=counselor, consultation=consultation, reason="b")


def test_a_case_opened_by_mistake_is_voided_and_takes_no_more_records(
    login, counselor, case
) -> None:
    client = login(counselor)
    response = client.post(reverse("cases:void", args=[case.pk]), {"reason": "二重に受付した"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.is_voided
    page = client.get(case.get_absolute_url()).content.decode()
    assert "このケースは取消されています" in page
    assert reverse("cases:close", args=[case.pk]) not in page  # no transitions left
    assert not Case.objects.open().filter(pk=case.pk).exists()
    with pytest.raises(ValidationError):
        services.consultation_record(
            user=counselor,
            case=case,
            data=services.ConsultationInput(
                date=days_ago(1), method="phone", with_whom="family", notes="x"
            ),
            submission_token=__import__("uuid").uuid4(),
        )
    assert Consultation.objects.filter(case=case).count() == 1


def test_undo_the_last_referral_step_puts_the_referral_back_and_keeps_the_trace(
    login, counselor, case
) -> None:
    resource = ResourceFactory()
    referral = referral_services.referral_propose(
        case=case, resource=resource, proposed_on=days_ago(10), user=counselor
    )
    referral = referral_services.referral_connect(
        referral=referral, on=days_ago(5), version=referral.version, user=counselor
    )
    assert referral.connected_on is not None
    client = login(counselor)
    url = reverse("referrals:referral_undo", args=[referral.pk])
    assert "「つながった」" in client.get(url).content.decode()
    response = client.post(url, {"reason": "押し間違い", "version": referral.version})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.connected_on) == (Referral.Status.PROPOSED, None)
    step = referral.transitions.get(to_status=Referral.Status.CONNECTED)
    assert step.void_reason == "押し間違い" and step.voided_by == counselor
    page = client.get(referral.get_absolute_url()).content.decode()
    assert "取消済み" in page
    # The proposal itself is not a step to undo.
    assert referral_services.last_step(referral) is None


def test_an_employment_outcome_is_voided_by_its_recorder(login, counselor, case) -> None:
    outcome = EmploymentOutcomeFactory(case=case, person=case.person, recorded_by=counselor)
    response = login(counselor).post(
        reverse("referrals:employment_void", args=[outcome.pk]), {"reason": "別人の記録"}
    )
    assert response.status_code == 302
    outcome.refresh_from_db()
    assert outcome.is_voided
    page = login(counselor).get(reverse("referrals:case_referrals", args=[case.pk]))
    assert "取消済み" in page.content.decode()


def test_close_takes_an_end_reason_category(counselor, case) -> None:
    with pytest.raises(ValidationError):
        services.case_close(
            user=counselor, case=case, version=case.version, closed_on=days_ago(1),
            reason="", end_reason="",
        )  # fmt: skip
    closed = services.case_close(
        user=counselor, case=case, version=case.version, closed_on=days_ago(1), reason="",
        end_reason=Case.EndReason.HANDED_OVER,
    )  # fmt: skip
    assert closed.end_reason == Case.EndReason.HANDED_OVER
    assert closed.status_changes.last().end_reason == Case.EndReason.HANDED_OVER


def test_the_case_transition_table_is_what_the_service_enforces(counselor, case) -> None:
    assert services.case_actions(case) == ("suspend", "close", "void")
    with pytest.raises(ValidationError):
        services.case_reopen(
            user=counselor, case=case, version=case.version, reopened_on=days_ago(1), reason="x"
        )


def test_every_voidable_record_has_the_one_set_of_void_fields() -> None:
    """A model with a void (取消) takes core.models.Voidable's fields, never its own copy."""
    from django.apps import apps

    from core.models import Voidable

    with_void = [m for m in apps.get_models() if any(f.name == "voided_at" for f in m._meta.fields)]
    assert {m._meta.label for m in with_void} >= {"cases.Consultation", "casework.Assessment"}
    assert [m._meta.label for m in with_void if not issubclass(m, Voidable)] == []
