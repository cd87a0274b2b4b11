"""Employment outcomes: the automatic "after intermediate employment" rule and its override."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from referrals import services
from referrals.models import EmploymentOutcome
from tests.factories import CaseFactory, ReferralFactory, ResourceFactory, ResourceKindFactory

CONNECTED = dt.date(2023, 9, 1)


@pytest.fixture
def trained_case(case, training_site):
    """A case whose person reached the work-training site on CONNECTED."""
    ReferralFactory(
        case=case, resource=training_site, proposed_on=dt.date(2023, 8, 1), status="connected",
        connected_on=CONNECTED,
    )  # fmt: skip
    return case


def record(case, started_on, user, **kwargs) -> EmploymentOutcome:
    return services.employment_record(
        case=case, started_on=started_on, employment_type="part_time", user=user, **kwargs
    )


def test_job_starting_the_day_of_the_connection_counts(counselor, trained_case) -> None:
    outcome = record(trained_case, CONNECTED, counselor)
    assert outcome.after_intermediate is True
    assert outcome.after_intermediate_source == "auto"
    assert outcome.basis_referral.connected_on == CONNECTED


def test_job_starting_the_day_before_the_connection_does_not_count(counselor, trained_case) -> None:
    outcome = record(trained_case, CONNECTED - dt.timedelta(days=1), counselor)
    assert outcome.after_intermediate is False
    assert outcome.basis_referral is None


def test_job_after_an_ended_training_counts(counselor, case, training_site) -> None:
    ReferralFactory(
        case=case, resource=training_site, proposed_on=dt.date(2023, 8, 1), status="ended",
        connected_on=CONNECTED, ended_on=CONNECTED + dt.timedelta(days=30),
    )  # fmt: skip
    assert record(case, CONNECTED + dt.timedelta(days=60), counselor).after_intermediate


def test_training_on_another_case_of_the_same_person_counts(counselor, trained_case) -> None:
    later_case = CaseFactory(person=trained_case.person, intake_date=dt.date(2024, 1, 5))
    assert record(later_case, dt.date(2024, 2, 1), counselor).after_intermediate


def test_an_ibasho_or_an_unconnected_training_does_not_count(
    counselor, case, ibasho, training_site
) -> None:
    ReferralFactory(case=case, resource=ibasho, proposed_on=dt.date(2023, 8, 1),
                    status="connected", connected_on=CONNECTED)  # fmt: skip
    ReferralFactory(case=case, resource=training_site, proposed_on=dt.date(2023, 8, 1),
                    status="arranging", arranging_on=CONNECTED)  # fmt: skip
    assert not record(case, CONNECTED + dt.timedelta(days=30), counselor).after_intermediate


def test_another_persons_training_does_not_count(counselor, trained_case, training_site) -> None:
    other = CaseFactory(intake_date=dt.date(2023, 6, 1))
    assert not record(other, CONNECTED + dt.timedelta(days=30), counselor).after_intermediate


def test_a_work_training_connection_recorded_late_changes_no_existing_job(
    counselor, case, training_site
) -> None:
    outcome = record(case, dt.date(2023, 10, 1), counselor)
    assert not outcome.after_intermediate
    referral = services.referral_propose(
        case=case, resource=training_site, proposed_on=dt.date(2023, 8, 1), user=counselor
    )
    services.referral_connect(referral=referral, on=CONNECTED, version=1, user=counselor)
    outcome.refresh_from_db()
    assert (outcome.after_intermediate, outcome.version) == (False, 1)
    assert not AuditEvent.objects.filter(
        object_type="referrals.employmentoutcome", object_id=str(outcome.pk), action="update"
    ).exists()


def test_rejudging_on_purpose_applies_the_rule_and_is_audited(counselor, case, training_site):
    outcome = record(case, dt.date(2023, 10, 1), counselor)
    ReferralFactory(
        case=case, resource=training_site, proposed_on=dt.date(2023, 8, 1), status="connected",
        connected_on=CONNECTED,
    )  # fmt: skip
    assert services.employment_rule_says(outcome) is not None
    outcome = services.employment_rejudge(outcome=outcome, version=1, user=counselor)
    assert outcome.after_intermediate and outcome.basis_referral.connected_on == CONNECTED
    event = AuditEvent.objects.filter(action="update").latest("id")
    assert event.object_id == str(outcome.pk)
    assert event.changed_fields == ["after_intermediate", "basis_referral_id"]


def test_a_later_training_connection_after_a_kind_becomes_training_changes_no_job(
    counselor, admin_user, case, ibasho, training_site
) -> None:
    """The issue's scenario: a kind marked as work training, then a later training
    connection, used to flip an old job through the newly flagged connection."""
    ReferralFactory(
        case=case, resource=ibasho, proposed_on=dt.date(2023, 8, 1), status="connected",
        connected_on=CONNECTED,
    )  # fmt: skip
    outcome = record(case, dt.date(2023, 10, 1), counselor)
    assert not outcome.after_intermediate
    services.kind_settings_change(
        kind=ibasho.kind, counts_as_ibasho=True, is_work_training=True,
        effective_from=services.config_earliest_date(), reason="試験", user=admin_user,
    )  # fmt: skip
    later = services.referral_propose(
        case=case, resource=training_site, proposed_on=dt.date(2023, 11, 1), user=counselor
    )
    services.referral_connect(referral=later, on=dt.date(2023, 11, 2), version=1, user=counselor)
    outcome.refresh_from_db()
    assert (outcome.after_intermediate, outcome.version) == (False, 1)


def test_adding_a_work_training_kind_changes_no_job(counselor, admin_user, trained_case):
    outcome = record(trained_case, CONNECTED, counselor)
    ResourceKindFactory(code="new-training", name_ja="新しい訓練", is_work_training=True)
    outcome.refresh_from_db()
    assert (outcome.after_intermediate, outcome.version) == (True, 1)


def test_editing_the_type_keeps_the_judgement(counselor, case, training_site) -> None:
    outcome = record(case, dt.date(2023, 10, 1), counselor)
    ReferralFactory(
        case=case, resource=training_site, proposed_on=dt.date(2023, 8, 1), status="connected",
        connected_on=CONNECTED,
    )  # fmt: skip
    outcome = services.employment_update(
        outcome=outcome, version=1, started_on=outcome.started_on,
        employment_type="regular", user=counselor,
    )  # fmt: skip
    assert (outcome.after_intermediate, outcome.employment_type) == (False, "regular")


def test_manual_judgement_needs_a_reason(counselor, case) -> None:
    with pytest.raises(ValidationError) as error:
        record(case, dt.date(2023, 10, 1), counselor, manual_after_intermediate=True)
    assert "理由" in error.value.message_dict["manual_reason"][0]
    assert not EmploymentOutcome.objects.exists()


def test_manual_judgement_records_outside_training(counselor, case) -> None:
    outcome = record(
        case, dt.date(2023, 10, 1), counselor,
        manual_after_intermediate=True, manual_reason="県外の就労訓練事業所を利用",
    )  # fmt: skip
    assert (outcome.after_intermediate, outcome.after_intermediate_source) == (True, "manual")
    assert outcome.manual_reason == "県外の就労訓練事業所を利用"


def test_update_overrides_and_returns_to_the_automatic_rule(counselor, trained_case) -> None:
    outcome = record(trained_case, CONNECTED + dt.timedelta(days=10), counselor)
    assert outcome.after_intermediate
    with pytest.raises(ValidationError):
        services.employment_update(
            outcome=outcome, version=1, started_on=outcome.started_on,
            employment_type="regular", manual_after_intermediate=False, user=counselor,
        )  # fmt: skip
    outcome.refresh_from_db()
    assert (outcome.after_intermediate, outcome.employment_type) == (True, "part_time")

    outcome = services.employment_update(
        outcome=outcome, version=1, started_on=outcome.started_on,
        employment_type="regular", manual_after_intermediate=False,
        manual_reason="訓練は数日で中断していた", user=counselor,
    )  # fmt: skip
    assert (outcome.after_intermediate, outcome.after_intermediate_source) == (False, "manual")
    assert outcome.basis_referral is None
    event = AuditEvent.objects.filter(action="update").latest("id")
    assert event.changed_fields == [
        "after_intermediate", "after_intermediate_source", "basis_referral", "employment_type",
        "manual_reason",
    ]  # fmt: skip

    outcome = services.employment_update(
        outcome=outcome, version=2, started_on=CONNECTED - dt.timedelta(days=1),
        employment_type="regular", user=counselor,
    )  # fmt: skip
    assert (outcome.after_intermediate, outcome.after_intermediate_source) == (False, "auto")
    assert outcome.manual_reason == ""


def test_update_with_a_stale_version_is_refused(counselor, trained_case) -> None:
    outcome = record(trained_case, CONNECTED, counselor)
    services.employment_update(
        outcome=EmploymentOutcome.objects.get(pk=outcome.pk), version=1,
        started_on=CONNECTED, employment_type="regular", user=counselor,
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        services.employment_update(
            outcome=outcome, version=1, started_on=CONNECTED,
            employment_type="self_employed", user=counselor,
        )  # fmt: skip
    assert "ほかの人がこの記録を先に更新しました" in error.value.messages[0]
    outcome.refresh_from_db()
    assert outcome.employment_type == "regular"


def test_start_before_intake_or_in_the_future_is_refused(counselor, case) -> None:
    from django.utils import timezone

    for day in (case.intake_date - dt.timedelta(days=1), timezone.localdate() + dt.timedelta(1)):
        with pytest.raises(ValidationError) as error:
            record(case, day, counselor)
        assert "started_on" in error.value.message_dict
    assert not EmploymentOutcome.objects.exists()


def test_record_is_audited_in_the_same_transaction(counselor, case) -> None:
    outcome = record(case, dt.date(2023, 10, 1), counselor)
    event = AuditEvent.objects.get(action="create", object_type="referrals.employmentoutcome")
    assert event.object_id == str(outcome.pk)
    assert "after_intermediate" in event.changed_fields
    assert event.municipality_id == case.municipality_id


def test_a_training_kind_set_by_the_admin_counts_from_its_effective_date(
    counselor, admin_user, case, ibasho
) -> None:
    """Which kinds are work training is data: a change counts for connections from its
    effective date on, and earlier connections keep what they counted as."""
    today = timezone.localdate()
    start = services.config_earliest_date()
    place = ResourceFactory(kind=ibasho.kind)
    before = ReferralFactory(
        case=case,
        resource=place,
        proposed_on=dt.date(2023, 8, 1),
        status="connected",
        connected_on=start - dt.timedelta(days=1),
    )
    after = ReferralFactory(case=case, resource=ResourceFactory(kind=ibasho.kind),
                            proposed_on=start, status="connected", connected_on=start)  # fmt: skip
    services.kind_settings_change(
        kind=ibasho.kind, counts_as_ibasho=True, is_work_training=True, effective_from=start,
        reason="就労体験を含むため", user=admin_user,
    )  # fmt: skip
    before.refresh_from_db()
    after.refresh_from_db()
    assert (before.counted_as_work_training, after.counted_as_work_training) == (False, True)
    outcome = record(case, today, counselor)
    assert outcome.after_intermediate and outcome.basis_referral_id == after.pk
