from django.urls import reverse

from audit.models import AuditEvent
from cases import services
from tests.cases.conftest import days_ago
from tests.factories import ConsultationFactory, HouseholdMemberFactory


def test_case_page_shows_summary_household_and_timeline(login, counselor, case, tags) -> None:
    case.issue_tags.add(tags["8050"])
    HouseholdMemberFactory(household=case.person.household, circumstances="要介護2")
    HouseholdMemberFactory(
        household=case.person.household,
        relationship="sibling",
        age_band="u15",
        needs_care=False,
        young_carer=True,
    )
    services.case_suspend(
        user=counselor, case=case, version=1, suspended_on=days_ago(2), reason="連絡が取れない"
    )
    response = login(counselor).get(case.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        case.number,
        "山田 太郎",
        "8050問題",
        "要介護2",
        "ヤングケアラー",
        "母親から電話。",
    ):
        assert text in body
    assert "連絡が取れない" in body  # the status change's reason on the timeline
    kinds = [entry.kind for entry in response.context["timeline"]]
    assert kinds == ["status", "consultation", "status"]  # newest first


def test_case_page_writes_exactly_one_view_audit_row(login, counselor, case) -> None:
    client = login(counselor)
    before = AuditEvent.objects.count()
    client.get(case.get_absolute_url())
    rows = AuditEvent.objects.all()[: AuditEvent.objects.count() - before]
    assert [(r.action, r.object_type, r.object_id) for r in rows] == [
        ("view", "cases.case", str(case.pk))
    ]
    assert rows[0].municipality_id == case.municipality_id


def test_case_page_query_count_does_not_grow_with_the_timeline(
    login, counselor, case, django_assert_num_queries
) -> None:
    client = login(counselor)
    HouseholdMemberFactory(household=case.person.household)

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(case.get_absolute_url()).status_code == 200
        return len(ctx.captured_queries)

    client.get(case.get_absolute_url())  # the first request after login renews the session
    baseline = count_queries()
    for i in range(30):
        ConsultationFactory(case=case, date=days_ago(i), recorded_by=counselor)
        HouseholdMemberFactory(household=case.person.household)
    with django_assert_num_queries(baseline):
        client.get(case.get_absolute_url())
    # Pinned: 10 for the case page and its consultations (the record form's latest
    # consultation is picked from the timeline's: one query fewer), plus one for meetings, two
    # for referrals and jobs on the timeline, and one for the scope's municipality ids (read
    # once by `in_scope`). A new query per entry would show above. The casework block (5):
    # contact details at the top; the timeline's assessments, plan versions, reviews and
    # consent events. The current plan, the latest assessment and the consents at the top are
    # picked from the timeline's lists (case_casework(case, timeline)): 3 queries fewer.
    assert baseline == 19


def test_closed_case_page_offers_reopen_instead_of_the_record_form(login, counselor, case) -> None:
    services.case_close(user=counselor, case=case, version=1, closed_on=days_ago(1), reason="x")
    body = login(counselor).get(case.get_absolute_url()).content.decode()
    assert reverse("cases:reopen", args=[case.pk]) in body
    assert reverse("cases:consultation_create", args=[case.pk]) not in body


def test_record_form_defaults_to_today_a_phone_call_and_leaves_the_contact_to_choose(
    login, counselor, case
) -> None:
    response = login(counselor).get(case.get_absolute_url())
    form = response.context["consultation_form"]
    assert form["date"].value() == days_ago(0)
    assert form["method"].value() == "phone"
    assert form["with_whom"].value() is None  # last time's 相手 is a hint, not a default
    assert "前回の相手：家族" in response.content.decode()
    assert form["submission_token"].value()


def test_record_form_takes_the_contact_chosen_on_the_home_page(login, counselor, case) -> None:
    response = login(counselor).get(case.get_absolute_url(), {"with_whom": "person"})
    assert response.context["consultation_form"]["with_whom"].value() == "person"
    response = login(counselor).get(case.get_absolute_url(), {"with_whom": "bogus"})
    assert response.context["consultation_form"]["with_whom"].value() is None


def test_record_form_shows_the_case_and_the_due_next_action(login, counselor, case) -> None:
    body = login(counselor).get(case.get_absolute_url()).content.decode()
    record = body[body.index('id="record"') :]
    assert case.number in record[:2000]
    last = case.consultations.order_by("-date", "-id").first()
    if last.next_action:
        assert last.next_action in record[:2000]
    # The save button follows 内容 directly.
    notes = record.index('id="id_notes"')
    assert record.index('type="submit"', notes) < record.find("<input", notes + 1) or (
        record.find("<input", notes + 1) == -1
    )


def test_case_page_shows_wareki_dates_for_a_user_who_chose_them(login, counselor, case) -> None:
    counselor.date_style = "wareki"
    counselor.save(update_fields=["date_style"])
    body = login(counselor).get(case.get_absolute_url()).content.decode()
    timeline = body[body.index('id="timeline"') :]
    assert "令和" in timeline
