import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from cases import services
from cases.models import Case, CaseStatusChange
from cases.rules import PersonInput
from tests.cases.conftest import days_ago


def update(case, user, *, version, **overrides):
    kwargs = dict(
        user=user,
        case=case,
        version=version,
        intake_route=case.intake_route,
        visitor=case.visitor,
        age_band_at_intake=case.age_band_at_intake,
        withdrawal_duration=case.withdrawal_duration,
        assigned_counselor=case.assigned_counselor,
        issue_tags=list(case.issue_tags.all()),
        person=PersonInput(
            name=case.person.name,
            kana=case.person.kana,
            birth_year=case.person.birth_year,
            age_band=case.person.age_band,
            sex=case.person.sex,
        ),
    )
    kwargs.update(overrides)
    return services.case_update(**kwargs)


def test_second_save_from_a_stale_form_is_refused_and_the_first_edit_survives(
    case, counselor, colleague
) -> None:
    stale_version = case.version
    update(case, colleague, version=stale_version, withdrawal_duration="10y+")
    case.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        update(case, counselor, version=stale_version, withdrawal_duration="lt6m")
    assert "ほかの人がこの記録を先に更新しました" in error.value.messages[0]
    case.refresh_from_db()
    assert case.withdrawal_duration == "10y+"
    assert case.version == stale_version + 1


def test_case_update_records_changed_fields_including_person_and_tags(
    case, counselor, tags
) -> None:
    update(
        case,
        counselor,
        version=case.version,
        visitor=Case.Visitor.PERSON,
        issue_tags=[tags["8050"]],
        person=PersonInput(name="山田 太郎", kana="ヤマダ ジロウ", birth_year=1975),
        household_notes="母と二人暮らし",
    )
    row = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_type="cases.case")
    assert set(row.changed_fields) >= {"visitor", "issue_tags", "person.kana", "household.notes"}
    assert "person.name" not in row.changed_fields
    case.person.refresh_from_db()
    assert case.person.kana_key == "やまだじろう"


def test_case_update_moves_between_open_statuses_with_a_history_row(case, counselor) -> None:
    update(case, counselor, version=case.version, status=Case.Status.ACTIVE)
    case.refresh_from_db()
    assert case.status == Case.Status.ACTIVE
    assert CaseStatusChange.objects.filter(case=case, to_status="active").exists()


def test_case_update_cannot_close_a_case(case, counselor) -> None:
    with pytest.raises(ValidationError) as error:
        update(case, counselor, version=case.version, status=Case.Status.CLOSED)
    assert "status" in error.value.error_dict


def test_case_update_rejects_kanji_in_the_kana_field(case, counselor) -> None:
    with pytest.raises(ValidationError) as error:
        update(case, counselor, version=case.version, person=PersonInput(kana="山田"))
    assert "ひらがな・カタカナ" in error.value.error_dict["kana"][0].message
    case.person.refresh_from_db()
    assert case.person.kana == "やまだ たろう"


# --- close, suspend, reopen -----------------------------------------------------------------


def test_close_records_date_reason_and_history(case, counselor) -> None:
    services.case_close(
        user=counselor, case=case, version=case.version, closed_on=days_ago(2), reason="就労"
    )
    case.refresh_from_db()
    assert (case.status, case.closed_on, case.status_reason) == ("closed", days_ago(2), "就労")
    change = case.status_changes.last()
    assert (change.from_status, change.to_status, change.changed_on) == (
        "intake",
        "closed",
        days_ago(2),
    )
    row = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_type="cases.case")
    assert "status" in row.changed_fields and "closed_on" in row.changed_fields


def test_closing_date_before_intake_is_refused(case, counselor) -> None:
    with pytest.raises(ValidationError) as error:
        services.case_close(
            user=counselor, case=case, version=case.version, closed_on=days_ago(31), reason="x"
        )
    assert "受理日" in error.value.error_dict["on"][0].message
    case.refresh_from_db()
    assert case.status == "intake"


def test_closing_date_in_the_future_is_refused(case, counselor) -> None:
    with pytest.raises(ValidationError) as error:
        services.case_close(
            user=counselor, case=case, version=case.version, closed_on=days_ago(-1), reason="x"
        )
    assert error.value.error_dict["on"][0].message == "未来の日付は入力できません。"


def test_status_change_needs_a_reason(case, counselor) -> None:
    with pytest.raises(ValidationError) as error:
        services.case_suspend(
            user=counselor, case=case, version=case.version, suspended_on=days_ago(1), reason=" "
        )
    assert "reason" in error.value.error_dict


def test_suspend_then_reopen(case, counselor) -> None:
    services.case_suspend(
        user=counselor,
        case=case,
        version=case.version,
        suspended_on=days_ago(10),
        reason="連絡途絶",
    )
    case.refresh_from_db()
    assert case.status == "suspended" and not case.is_open
    with pytest.raises(ValidationError):  # cannot reopen before it was suspended
        services.case_reopen(
            user=counselor, case=case, version=case.version, reopened_on=days_ago(11), reason="x"
        )
    services.case_reopen(
        user=counselor, case=case, version=case.version, reopened_on=days_ago(1), reason="再相談"
    )
    case.refresh_from_db()
    assert (case.status, case.closed_on) == ("active", None)
    assert list(case.status_changes.values_list("to_status", flat=True)) == [
        "intake",
        "suspended",
        "active",
    ]


def test_status_change_from_a_stale_page_is_refused(case, counselor, colleague) -> None:
    version = case.version
    services.case_suspend(
        user=colleague, case=case, version=version, suspended_on=days_ago(1), reason="a"
    )
    with pytest.raises(ValidationError):
        services.case_close(
            user=counselor, case=case, version=version, closed_on=days_ago(1), reason="b"
        )
    case.refresh_from_db()
    assert case.status == "suspended"


def test_reopening_an_open_case_is_refused(case, counselor) -> None:
    with pytest.raises(ValidationError):
        services.case_reopen(
            user=counselor, case=case, version=case.version, reopened_on=days_ago(0), reason="x"
        )
