import uuid

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from cases import services
from cases.models import Consultation
from cases.rules import ConsultationInput
from tests.cases.conftest import days_ago


def record(case, user, *, token=None, **fields):
    data = {"date": days_ago(0), "method": "phone", "with_whom": "family", **fields}
    return services.consultation_record(
        user=user,
        case=case,
        data=ConsultationInput(**data),
        submission_token=token or uuid.uuid4(),
    )


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.message for e in errors] for field, errors in error.error_dict.items()}


def test_consultation_is_recorded_on_the_case(case, counselor) -> None:
    consultation = record(case, counselor, notes="電話で様子を確認", next_action_date=days_ago(-7))
    assert consultation.case == case
    assert consultation.recorded_by == counselor
    assert case.consultations.count() == 2


def test_resubmitting_the_same_form_returns_the_first_record(case, counselor) -> None:
    token = uuid.uuid4()
    first = record(case, counselor, token=token, notes="一回目")
    again = record(case, counselor, token=token, notes="二回目")
    assert again.pk == first.pk
    assert Consultation.objects.filter(submission_token=token).count() == 1
    assert Consultation.objects.get(pk=first.pk).notes == "一回目"
    creates = AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_type="cases.consultation", object_id=first.pk
    )
    assert creates.count() == 1


def test_a_token_used_on_another_case_is_refused(case, counselor, colleague) -> None:
    from tests.cases.conftest import open_case

    other = open_case(colleague, case.municipality, kana="べつ")
    token = uuid.uuid4()
    record(case, counselor, token=token)
    with pytest.raises(ValidationError):
        record(other, colleague, token=token)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"date": days_ago(-1)}, "date", "未来の日付は入力できません。"),
        ({"date": days_ago(31)}, "date", "より前の日付は入力できません。"),
        (
            {"method": "visit"},
            "duration_minutes",
            "来所・訪問・同行のときは、所要時間を入力してください。",
        ),
        ({"method": "home_visit"}, "duration_minutes", "所要時間を入力してください。"),
        ({"method": "accompany"}, "duration_minutes", "所要時間を入力してください。"),
        ({"with_whom": ""}, "with_whom", "相手を選んでください。"),
        ({"duration_minutes": 0}, "duration_minutes", "1分から1440分"),
        (
            {"date": days_ago(3), "next_action_date": days_ago(4)},
            "next_action_date",
            "次の対応日は、相談日以降の日付にしてください。",
        ),
    ],
)
def test_invalid_consultation_is_refused_with_a_japanese_message_and_not_saved(
    case, counselor, fields, field, message
) -> None:
    with pytest.raises(ValidationError) as error:
        record(case, counselor, **fields)
    assert any(message in m for m in field_errors(error.value)[field])
    assert case.consultations.count() == 1


def test_phone_and_email_need_no_duration(case, counselor) -> None:
    assert record(case, counselor, method="phone").duration_minutes is None
    assert record(case, counselor, method="email").duration_minutes is None


def test_consultation_on_a_closed_case_is_refused(case, counselor) -> None:
    services.case_close(
        user=counselor, case=case, version=case.version, closed_on=days_ago(1), reason="終結"
    )
    case.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        record(case, counselor)
    assert "再開してから記録" in error.value.messages[0]


def test_consultation_create_is_audited_with_field_names_only(case, counselor) -> None:
    consultation = record(case, counselor, notes="秘密の内容", next_action="家族面談")
    row = AuditEvent.objects.get(
        action=AuditEvent.Action.CREATE,
        object_type="cases.consultation",
        object_id=str(consultation.pk),
    )
    assert row.municipality_id == case.municipality_id
    assert {"date", "method", "with_whom", "notes", "next_action"} <= set(row.changed_fields)
    assert "秘密" not in str(row.changed_fields)


def test_consultation_update_checks_the_version(case, counselor, colleague) -> None:
    consultation = case.consultations.get()
    data = ConsultationInput(date=consultation.date, method="phone", with_whom="family")
    services.consultation_update(
        user=colleague,
        consultation=consultation,
        version=1,
        data=ConsultationInput(**{**data.__dict__, "notes": "先に保存"}),
    )
    with pytest.raises(ValidationError) as error:
        services.consultation_update(
            user=counselor,
            consultation=consultation,
            version=1,
            data=ConsultationInput(**{**data.__dict__, "notes": "後から保存"}),
        )
    assert "ほかの人がこの記録を先に更新しました" in error.value.messages[0]
    consultation.refresh_from_db()
    assert consultation.notes == "先に保存"
    assert consultation.version == 2


def test_consultation_update_audits_changed_fields(case, counselor) -> None:
    consultation = case.consultations.get()
    services.consultation_update(
        user=counselor,
        consultation=consultation,
        version=consultation.version,
        data=ConsultationInput(
            date=consultation.date, method="phone", with_whom="family", notes="追記"
        ),
    )
    row = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_type="cases.consultation")
    assert row.changed_fields == ["notes"]
