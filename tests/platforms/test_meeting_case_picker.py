"""The meeting form's case picker: search by number, name or kana (a reload, no JavaScript),
name and status shown, the chosen cases listed first and kept across searches."""

import pytest
from django.urls import reverse

from platforms.models import CaseMeeting
from tests.factories import CaseFactory, CaseMeetingFactory, PersonFactory
from tests.platforms.test_views_meetings import CREATE, _post_data

pytestmark = pytest.mark.django_db


def _case(municipality, name: str, kana: str):
    return CaseFactory(person=PersonFactory(municipality=municipality, name=name, kana=kana))


def test_search_by_variant_name_reloads_the_form_with_what_was_typed(login, counselor, kochi_city):
    takahashi = _case(kochi_city, "髙橋 健太", "たかはし けんた")
    suzuki = _case(kochi_city, "鈴木 花子", "すずき はなこ")
    data = _post_data(kochi_city, case_search="1", case_q="高橋", decisions="途中の入力")
    response = login(counselor).post(CREATE, data)
    assert response.status_code == 200
    picker = response.context["picker"]
    assert picker.results == [takahashi]
    assert suzuki not in picker.results
    body = response.content.decode()
    assert "髙橋 健太" in body
    assert "途中の入力" in body  # nothing typed is lost
    assert 'class="field__error"' not in body  # a search is not a failed save
    assert not CaseMeeting.objects.exists()


def test_chosen_cases_stay_at_the_top_across_a_search(login, counselor, kochi_city):
    chosen = _case(kochi_city, "山田 太郎", "やまだ たろう")
    other = _case(kochi_city, "鈴木 花子", "すずき はなこ")
    data = _post_data(kochi_city, case_search="1", case_q="すずき", cases=[chosen.pk])
    response = login(counselor).post(CREATE, data)
    picker = response.context["picker"]
    assert picker.chosen == [chosen]
    assert picker.results == [other]
    body = response.content.decode()
    assert f'value="{chosen.pk}" id="id_cases_{chosen.pk}" checked' in body
    assert body.index(chosen.number) < body.index('name="case_q"') < body.index(other.number)


def test_search_by_number_and_kana(login, counselor, kochi_city):
    case = _case(kochi_city, "渡邊 一郎", "わたなべ いちろう")
    _case(kochi_city, "鈴木 花子", "すずき はなこ")
    client = login(counselor)
    for query in (case.number, "ワタナベ", "渡辺"):
        response = client.post(CREATE, _post_data(kochi_city, case_search="1", case_q=query))
        assert response.context["picker"].results == [case], query


def test_the_picker_shows_a_limited_list_and_says_how_many_more(login, counselor, kochi_city):
    for i in range(33):
        _case(kochi_city, f"高知 太郎{i}", f"こうち たろう{i}")
    response = login(counselor).get(CREATE, {"municipality": kochi_city.pk})
    picker = response.context["picker"]
    assert len(picker.results) == 30
    assert picker.more == 3
    assert "ほかに3件あります" in response.content.decode()


def test_saving_after_a_search_keeps_the_chosen_cases(login, counselor, kochi_city):
    case = _case(kochi_city, "山田 太郎", "やまだ たろう")
    response = login(counselor).post(CREATE, _post_data(kochi_city, cases=[case.pk]))
    assert response.status_code == 302
    assert list(CaseMeeting.objects.get().cases.all()) == [case]


def test_edit_lists_the_meetings_cases_first(login, counselor, kochi_city):
    meeting = CaseMeetingFactory(municipality=kochi_city)
    on_it = _case(kochi_city, "山田 太郎", "やまだ たろう")
    meeting.cases.set([on_it])
    response = login(counselor).get(reverse("platforms:meeting_edit", args=[meeting.pk]))
    assert response.context["picker"].chosen == [on_it]


def test_meeting_handout_leaves_the_minutes_out_unless_asked(login, counselor, kochi_city):
    from audit.models import AuditEvent

    meeting = CaseMeetingFactory(
        municipality=kochi_city, decisions="月1回訪問する", minutes="（秘）家族の事情"
    )
    client = login(counselor)
    url = reverse("platforms:meeting_print", args=[meeting.pk])
    body = client.get(url).content.decode()
    assert "月1回訪問する" in body and "配布資料" in body
    assert "（秘）家族の事情" not in body
    assert "<form" not in body
    body = client.get(url, {"minutes": "1"}).content.decode()
    assert "（秘）家族の事情" in body
    assert 'class="print-secret"' in body
    events = AuditEvent.objects.filter(action="export", object_type="platforms.casemeeting")
    assert sorted(e.filters["minutes"] for e in events) == [False, True]
