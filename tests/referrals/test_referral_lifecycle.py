"""The referral life cycle through the services: every allowed and forbidden transition."""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from referrals import services
from referrals.models import Referral, ReferralTransition
from tests.factories import CaseFactory, ReferralFactory

S = Referral.Status
DAY = dt.date(2023, 7, 1)

# Which dates each status needs, so a referral can be put at any status directly.
DATES_FOR = {
    S.PROPOSED: {},
    S.ARRANGING: {"arranging_on": DAY},
    S.CONNECTED: {"arranging_on": DAY, "connected_on": DAY},
    S.ENDED: {"arranging_on": DAY, "connected_on": DAY, "ended_on": DAY},
    S.NOT_REALISED: {"not_realised_on": DAY, "not_realised_reason": "declined"},
}
ALLOWED = {
    (S.PROPOSED, S.ARRANGING),
    (S.PROPOSED, S.CONNECTED),
    (S.PROPOSED, S.NOT_REALISED),
    (S.ARRANGING, S.CONNECTED),
    (S.ARRANGING, S.NOT_REALISED),
    (S.CONNECTED, S.ENDED),
}
FORBIDDEN = [
    pair
    for pair in itertools.product(S, S)
    if pair not in ALLOWED and pair[1] != S.PROPOSED  # nothing goes back to 提案
]


def at_status(status: str, **kwargs) -> Referral:
    return ReferralFactory(status=status, proposed_on=DAY, **DATES_FOR[status], **kwargs)


def move(referral: Referral, to: str, on: dt.date, user, **extra):
    common = {"referral": referral, "on": on, "version": referral.version, "user": user}
    if to == S.ARRANGING:
        return services.referral_arrange(**common)
    if to == S.CONNECTED:
        return services.referral_connect(**common)
    if to == S.ENDED:
        return services.referral_end(**common)
    if to == S.NOT_REALISED:
        return services.referral_not_realise(**common, reason=extra.get("reason", "capacity"))
    raise AssertionError(to)


def test_propose_opens_a_referral_with_its_first_transition(counselor, case, ibasho) -> None:
    referral = services.referral_propose(
        case=case, resource=ibasho, proposed_on=dt.date(2023, 7, 1), user=counselor
    )
    assert referral.status == S.PROPOSED
    assert referral.created_by == counselor
    (transition,) = referral.transitions.all()
    assert (transition.from_status, transition.to_status) == ("", S.PROPOSED)
    assert (transition.on, transition.by) == (dt.date(2023, 7, 1), counselor)


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_allowed_transition_stores_date_and_user(kochi, counselor, source, target) -> None:
    referral = at_status(source)
    version = referral.version
    on = DAY + dt.timedelta(days=3)
    result = move(referral, target, on, counselor)
    result = Referral.objects.get(pk=referral.pk)
    assert result.status == target
    assert getattr(result, services.DATE_FIELD[target]) == on
    assert result.version == version + 1
    last = ReferralTransition.objects.filter(referral=referral).latest("id")
    assert (last.from_status, last.to_status, last.on, last.by) == (source, target, on, counselor)


@pytest.mark.parametrize(("source", "target"), FORBIDDEN)
def test_forbidden_transition_is_refused_with_a_message(kochi, counselor, source, target) -> None:
    referral = at_status(source)
    with pytest.raises(ValidationError) as error:
        move(referral, target, DAY + dt.timedelta(days=3), counselor)
    assert "にすることはできません" in error.value.messages[0]
    referral.refresh_from_db()
    assert referral.status == source
    assert not ReferralTransition.objects.filter(referral=referral).exists()


def test_full_loop_proposed_arranging_connected_ended(counselor, referral) -> None:
    for target, day in [(S.ARRANGING, 2), (S.CONNECTED, 10), (S.ENDED, 40)]:
        referral = move(referral, target, DAY + dt.timedelta(days=day), counselor)
    assert list(referral.transitions.values_list("to_status", flat=True)) == [
        S.PROPOSED, S.ARRANGING, S.CONNECTED, S.ENDED,
    ]  # fmt: skip
    assert referral.connected_on == DAY + dt.timedelta(days=10)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (S.PROPOSED, S.ARRANGING),
        (S.PROPOSED, S.CONNECTED),
        (S.PROPOSED, S.NOT_REALISED),
        (S.ARRANGING, S.CONNECTED),
        (S.ARRANGING, S.NOT_REALISED),
        (S.CONNECTED, S.ENDED),
    ],
)
def test_date_before_previous_step_is_refused_next_to_the_date(
    kochi, counselor, source, target
) -> None:
    referral = at_status(source)
    with pytest.raises(ValidationError) as error:
        move(referral, target, DAY - dt.timedelta(days=1), counselor)
    assert "前の段階" in error.value.message_dict["on"][0]
    referral.refresh_from_db()
    assert referral.status == source


def test_same_day_as_previous_step_is_accepted(counselor, referral) -> None:
    assert move(referral, S.CONNECTED, referral.proposed_on, counselor).status == S.CONNECTED


def test_future_date_is_refused(counselor, referral) -> None:
    from django.utils import timezone

    with pytest.raises(ValidationError) as error:
        move(referral, S.ARRANGING, timezone.localdate() + dt.timedelta(days=1), counselor)
    assert "未来" in error.value.message_dict["on"][0]


def test_stale_version_is_refused(counselor, colleague, referral) -> None:
    seen = Referral.objects.get(pk=referral.pk)
    move(referral, S.ARRANGING, DAY, colleague)
    with pytest.raises(ValidationError) as error:
        services.referral_connect(referral=seen, on=DAY, version=seen.version, user=counselor)
    assert "ほかの人がこの記録を先に更新しました" in error.value.messages[0]
    referral.refresh_from_db()
    assert referral.status == S.ARRANGING


def test_not_realised_needs_a_reason(counselor, referral) -> None:
    with pytest.raises(ValidationError) as error:
        services.referral_not_realise(
            referral=referral, on=DAY, reason="", version=1, user=counselor
        )
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.referral_not_realise(
            referral=referral, on=DAY, reason="other", detail=" ", version=1,
            user=counselor,
        )  # fmt: skip
    assert "detail" in error.value.message_dict
    referral.refresh_from_db()
    assert referral.status == S.PROPOSED


def test_not_realised_keeps_reason_and_never_gets_a_connection_date(counselor, referral) -> None:
    result = services.referral_not_realise(
        referral=referral, on=DAY, reason="lost_contact", version=1, user=counselor
    )
    assert (result.status, result.not_realised_reason) == (S.NOT_REALISED, "lost_contact")
    assert result.connected_on is None
    assert (
        not Referral.objects.counting_as_ibasho()
        .connected_between(dt.date(2023, 4, 1), dt.date(2024, 3, 31))
        .exists()
    )


def test_second_open_referral_to_same_resource_gets_a_friendly_message(
    counselor, case, ibasho
) -> None:
    services.referral_propose(case=case, resource=ibasho, proposed_on=DAY, user=counselor)
    with pytest.raises(ValidationError) as error:
        services.referral_propose(case=case, resource=ibasho, proposed_on=DAY, user=counselor)
    assert "すでにあります" in error.value.message_dict["resource"][0]
    assert Referral.objects.filter(case=case).count() == 1


def test_a_closed_referral_does_not_block_a_new_one(counselor, case, ibasho) -> None:
    first = services.referral_propose(case=case, resource=ibasho, proposed_on=DAY, user=counselor)
    move(first, S.NOT_REALISED, DAY, counselor)
    second = services.referral_propose(case=case, resource=ibasho, proposed_on=DAY, user=counselor)
    assert second.pk != first.pk


def test_the_same_resource_for_another_case_is_fine(counselor, case, ibasho) -> None:
    other = CaseFactory(intake_date=case.intake_date)
    services.referral_propose(case=case, resource=ibasho, proposed_on=DAY, user=counselor)
    services.referral_propose(case=other, resource=ibasho, proposed_on=DAY, user=counselor)
    assert Referral.objects.filter(resource=ibasho).count() == 2


def test_proposal_before_intake_or_to_inactive_resource_is_refused(counselor, case, ibasho) -> None:
    with pytest.raises(ValidationError) as error:
        services.referral_propose(
            case=case, resource=ibasho, proposed_on=case.intake_date - dt.timedelta(days=1),
            user=counselor,
        )  # fmt: skip
    assert "受理日" in error.value.message_dict["proposed_on"][0]
    ibasho.active = False
    ibasho.save()
    with pytest.raises(ValidationError) as error:
        services.referral_propose(case=case, resource=ibasho, proposed_on=DAY, user=counselor)
    assert "無効" in error.value.message_dict["resource"][0]
    assert not Referral.objects.exists()


def test_every_write_is_audited_with_changed_fields_only(counselor, case, ibasho) -> None:
    referral = services.referral_propose(
        case=case, resource=ibasho, proposed_on=DAY, user=counselor
    )
    move(referral, S.ARRANGING, DAY, counselor)
    services.referral_note_add(referral=referral, date=DAY, text="本人の様子", user=counselor)
    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.action, e.object_type) for e in events] == [
        ("create", "referrals.referral"),
        ("update", "referrals.referral"),
        ("create", "referrals.referralnote"),
    ]
    assert events[1].changed_fields == ["arranging_on", "status"]
    assert all(e.municipality_id == case.municipality_id for e in events)
    assert all(e.username == "counselor" for e in events)
    assert all("本人の様子" not in str(e.changed_fields) + e.reason for e in events)


def test_refused_transition_writes_nothing(counselor, referral) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        move(referral, S.ENDED, DAY, counselor)
    assert AuditEvent.objects.count() == before


def test_note_needs_text_and_a_date_not_before_the_proposal(counselor, referral) -> None:
    with pytest.raises(ValidationError) as error:
        services.referral_note_add(referral=referral, date=DAY, text="  ", user=counselor)
    assert "text" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.referral_note_add(
            referral=referral, date=DAY - dt.timedelta(days=1), text="x", user=counselor
        )
    assert "date" in error.value.message_dict
    assert not referral.notes.exists()
