"""The fact-finding register: report → outreach → case opened from the entry."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.services import ConsultationInput, PersonInput
from programme import services
from programme.models import OutreachAttempt, SurveyEntry
from programme.services import EntryInput, OutreachInput
from tests.factories import SurveyEntryFactory

pytestmark = pytest.mark.django_db

REPORTED = dt.date(2024, 5, 10)


def _entry(user, municipality, **kw) -> SurveyEntry:
    data = EntryInput(reported_on=kw.pop("reported_on", REPORTED), reporter="minsei", **kw)
    return services.survey_entry_create(user=user, municipality=municipality, data=data)


def test_counselor_registers_a_report_from_a_welfare_volunteer(login, counselor, kochi_city):
    response = login(counselor).post(
        reverse("programme:entry_create"),
        {
            "municipality": kochi_city.pk,
            "reported_on": "2024-05-10",
            "reporter": "minsei",
            "reporter_note": "旭地区の民生委員",
            "age_band": "40s",
            "withdrawal_duration": "10y+",
            "household": "elderly_parents",
            "agency_involved": "on",
            "agency_note": "地域包括支援センター",
            "name": "",
            "next_outreach_on": "2024-05-20",
        },
    )
    entry = SurveyEntry.objects.get()
    assert response.status_code == 302 and response["Location"] == entry.get_absolute_url()
    assert (entry.municipality, entry.reporter, entry.household) == (
        kochi_city,
        "minsei",
        "elderly_parents",
    )
    assert entry.agency_involved and entry.next_outreach_on == dt.date(2024, 5, 20)
    audit = AuditEvent.objects.get(action="create", object_type="programme.surveyentry")
    assert audit.municipality_id == kochi_city.pk and "name" not in audit.changed_fields


def test_bad_entry_gets_messages_next_to_the_fields_and_saves_nothing(login, counselor, kochi_city):
    response = login(counselor).post(
        reverse("programme:entry_create"),
        {
            "municipality": kochi_city.pk,
            "reported_on": "2999-01-01",
            "reporter": "",
            "age_band": "unknown",
            "withdrawal_duration": "unknown",
            "household": "unknown",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "未来の日付は入力できません。" in form.errors["reported_on"]
    assert "把握の経路を選んでください。" in form.errors["reporter"]
    assert not SurveyEntry.objects.exists()


def test_entry_outside_the_scope_is_refused(counselor, muroto):
    with pytest.raises(PermissionDenied):
        _entry(counselor, muroto)


def test_outsider_gets_404_and_prefecture_staff_403_on_an_entry(
    login, outsider, prefecture_staff, counselor, kochi_city
):
    entry = _entry(counselor, kochi_city, name="高知 花子")
    url = entry.get_absolute_url()
    response = login(outsider).get(url)
    assert response.status_code == 404 and "高知 花子" not in response.content.decode()
    assert AuditEvent.objects.filter(action="denied", user=outsider).count() == 1
    assert login(prefecture_staff).get(url).status_code == 403
    assert login(prefecture_staff).get(reverse("programme:entry_list")).status_code == 403


def test_reading_an_entry_is_audited(login, counselor, kochi_city):
    entry = _entry(counselor, kochi_city)
    login(counselor).get(entry.get_absolute_url())
    assert AuditEvent.objects.filter(
        action="view", object_type="programme.surveyentry", object_id=str(entry.pk)
    ).exists()


def test_list_shows_only_the_scope(login, counselor, center, kochi_city, muroto):
    mine = _entry(counselor, kochi_city)
    other = _entry(center, muroto)
    entries = login(counselor).get(reverse("programme:entry_list")).context["entries"]
    assert [e.pk for e in entries] == [mine.pk]
    entries = login(center).get(reverse("programme:entry_list")).context["entries"]
    assert {e.pk for e in entries} == {mine.pk, other.pk}


def test_entry_list_query_count_is_constant(
    login, counselor, kochi_city, django_assert_num_queries
):
    for _n in range(25):
        SurveyEntryFactory()
    client = login(counselor)
    client.get(reverse("programme:entry_list"))
    # session, user, scope ids, count, page, audit row: the same for 25 rows as for one.
    with django_assert_num_queries(6):
        client.get(reverse("programme:entry_list"))


def test_two_person_visit_is_recorded_and_sets_the_next_outreach(counselor, kochi_city):
    entry = _entry(counselor, kochi_city)
    services.outreach_record(
        user=counselor,
        entry=entry,
        data=OutreachInput(
            date=dt.date(2024, 5, 20),
            method="visit",
            outcome="family_only",
            two_person=True,
            companion="民生委員",
            next_outreach_on=dt.date(2024, 6, 3),
        ),
    )
    attempt = OutreachAttempt.objects.get()
    entry.refresh_from_db()
    assert attempt.two_person and attempt.reached
    assert entry.next_outreach_on == dt.date(2024, 6, 3)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"method": "letter", "outcome": "met"},
            "outcome",
            "手紙では「会えた」「家族のみ」は選べません。",
        ),
        (
            {"method": "visit", "outcome": "absent", "two_person": True},
            "companion",
            "2人で訪問したときは、同行者を入力してください。",
        ),
        (
            {"method": "visit", "outcome": "absent", "date": dt.date(2024, 5, 1)},
            "date",
            "把握日より前の日付は入力できません。",
        ),
    ],
)
def test_outreach_rules(counselor, kochi_city, data, field, message):
    entry = _entry(counselor, kochi_city)
    values = {"date": dt.date(2024, 5, 20), **data}
    with pytest.raises(ValidationError) as error:
        services.outreach_record(user=counselor, entry=entry, data=OutreachInput(**values))
    assert message in error.value.message_dict[field]
    assert not OutreachAttempt.objects.exists()


def test_outreach_through_the_page_shows_errors_next_to_the_field(login, counselor, kochi_city):
    entry = _entry(counselor, kochi_city)
    response = login(counselor).post(
        reverse("programme:outreach_create", args=[entry.pk]),
        {"date": "2024-05-20", "method": "letter", "outcome": "met"},
    )
    assert response.status_code == 400
    assert (
        "手紙では「会えた」「家族のみ」は選べません。"
        in response.context["outreach_form"].errors["outcome"]
    )


def _open(counselor, entry, token=None, **kw):
    return services.survey_entry_open_case(
        user=counselor,
        entry=entry,
        intake_date=kw.get("intake_date", dt.date(2024, 6, 1)),
        intake_route="minsei",
        visitor="family",
        consultation=ConsultationInput(
            date=dt.date(2024, 6, 1), method="home_visit", with_whom="family", duration_minutes=60
        ),
        submission_token=token or uuid.uuid4(),
        person=PersonInput(name="名簿 次郎", age_band="40s"),
        withdrawal_duration="10y+",
    )


def test_opening_a_case_from_an_entry_links_them(counselor, kochi_city):
    entry = _entry(counselor, kochi_city, next_outreach_on=dt.date(2024, 6, 1))
    case = _open(counselor, entry)
    entry.refresh_from_db()
    assert entry.case == case and entry.next_outreach_on is None and not entry.is_open
    assert (case.municipality, case.intake_route, case.withdrawal_duration) == (
        kochi_city,
        "minsei",
        "10y+",
    )
    assert AuditEvent.objects.filter(
        action="update",
        object_type="programme.surveyentry",
        changed_fields=["case", "next_outreach_on"],
    ).exists()
    assert AuditEvent.objects.filter(action="create", object_type="cases.case").exists()


def test_resubmitting_the_open_case_form_returns_the_same_case(counselor, kochi_city):
    entry = _entry(counselor, kochi_city)
    token = uuid.uuid4()
    first = _open(counselor, entry, token)
    assert _open(counselor, entry, token) == first
    with pytest.raises(ValidationError):
        _open(counselor, entry)  # a second, different case from the same entry
    assert Case.objects.count() == 1


def test_case_cannot_be_opened_before_the_entry_was_reported(counselor, kochi_city):
    entry = _entry(counselor, kochi_city)
    with pytest.raises(ValidationError):
        _open(counselor, entry, intake_date=dt.date(2024, 5, 1))
    assert not Case.objects.exists()


def test_open_case_page_is_prefilled_from_the_entry(login, counselor, kochi_city):
    entry = _entry(
        counselor,
        kochi_city,
        age_band="40s",
        withdrawal_duration="5-10y",
        household="elderly_parents",
        notes="夜間のみ外出",
        name="名簿 三郎",
    )
    response = login(counselor).get(reverse("programme:entry_open_case", args=[entry.pk]))
    form = response.context["form"]
    assert form["intake_route"].value() == "minsei"
    assert form["name"].value() == "名簿 三郎"
    assert form["withdrawal_duration"].value() == "5-10y"
    assert form["notes"].value() == "夜間のみ外出"
    assert "高齢の親と同居" in form["household_notes"].value()


def test_open_case_page_creates_the_case_and_redirects_to_it(login, counselor, kochi_city):
    entry = _entry(counselor, kochi_city)
    client = login(counselor)
    page = client.get(reverse("programme:entry_open_case", args=[entry.pk]))
    token = page.context["form"]["submission_token"].value()
    response = client.post(
        reverse("programme:entry_open_case", args=[entry.pk]),
        {
            "submission_token": token,
            "municipality": kochi_city.pk,
            "intake_date": "2024-06-01",
            "intake_route": "minsei",
            "visitor": "family",
            "person_age_band": "unknown",
            "sex": "unknown",
            "age_band_at_intake": "unknown",
            "withdrawal_duration": "unknown",
            "method": "phone",
            "with_whom": "family",
        },
    )
    entry.refresh_from_db()
    assert entry.case is not None
    assert response.status_code == 302 and response["Location"] == entry.case.get_absolute_url()


def test_home_lists_entries_with_an_outreach_due(login, counselor, kochi_city, muroto, center):
    today = timezone.localdate()
    due = SurveyEntryFactory(reported_on=today - dt.timedelta(days=30), next_outreach_on=today)
    SurveyEntryFactory(
        reported_on=today - dt.timedelta(days=30), next_outreach_on=today + dt.timedelta(days=3)
    )
    SurveyEntryFactory(
        municipality=muroto, reported_on=today - dt.timedelta(days=30), next_outreach_on=today
    )
    response = login(counselor).get(reverse("home"))
    panels = [p for p in response.context["panels"] if p["template"].startswith("programme/")]
    assert [d.entry.pk for d in panels[0]["entries"]] == [due.pk]
    assert "アウトリーチの予定（実態把握名簿）" in response.content.decode()


def test_closing_an_entry_needs_a_reason(counselor, kochi_city):
    entry = _entry(counselor, kochi_city)
    with pytest.raises(ValidationError):
        services.survey_entry_close(
            user=counselor, entry=entry, closed_on=dt.date(2024, 6, 1), reason=" "
        )
    services.survey_entry_close(
        user=counselor, entry=entry, closed_on=dt.date(2024, 6, 1), reason="転居"
    )
    entry.refresh_from_db()
    assert entry.closed_on == dt.date(2024, 6, 1) and not entry.is_open
    with pytest.raises(ValidationError):
        services.outreach_record(
            user=counselor,
            entry=entry,
            data=OutreachInput(date=dt.date(2024, 6, 2), method="phone", outcome="absent"),
        )
