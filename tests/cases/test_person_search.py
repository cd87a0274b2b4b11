"""Finding people: variant kanji (異体字) and spaces in names, in the case list search and in
the duplicate check at intake (birth year within one year, or unknown)."""

import pytest
from django.urls import reverse

from cases.kana import name_key
from cases.models import Case, Consultation, Person
from tests.cases.conftest import open_case
from tests.cases.test_views_intake import INTAKE, intake_data

LIST = reverse("cases:list")


def numbers(response) -> list[str]:
    return [case.number for case in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("髙橋 健太", "高橋健太"),
        ("山﨑", "山崎"),
        ("渡邊", "渡辺"),
        ("渡邉", "渡辺"),
        ("齋藤", "斉藤"),
        ("齊藤", "斎藤"),
        ("澤田", "沢田"),
        ("濱口", "浜口"),
        ("髙橋\u3000健太", "高橋 健太"),
    ],
)
def test_name_key_folds_variants_and_spaces(variant: str, plain: str) -> None:
    assert name_key(variant) == name_key(plain)


def test_name_key_keeps_different_names_apart() -> None:
    assert name_key("高橋") != name_key("高田")


def test_search_finds_variant_kanji_and_names_without_the_space(
    login, counselor, kochi_city
) -> None:
    takahashi = open_case(counselor, kochi_city, name="髙橋 健太", kana="たかはし けんた")
    watanabe = open_case(counselor, kochi_city, name="渡邊 花子", kana="わたなべ はなこ")
    client = login(counselor)
    assert numbers(client.get(LIST, {"q": "高橋"})) == [takahashi.number]
    assert numbers(client.get(LIST, {"q": "高橋健太"})) == [takahashi.number]
    assert numbers(client.get(LIST, {"q": "高橋 健太"})) == [takahashi.number]
    assert numbers(client.get(LIST, {"q": "たかはしけんた"})) == [takahashi.number]
    assert numbers(client.get(LIST, {"q": "渡辺"})) == [watanabe.number]
    assert numbers(client.get(LIST, {"q": "渡邉花子"})) == [watanabe.number]


def test_intake_writes_the_folded_name_key(counselor, kochi_city) -> None:
    case = open_case(counselor, kochi_city, name="山﨑 一郎", kana="やまさき いちろう")
    assert Person.objects.get(pk=case.person_id).name_key == "山崎一郎"


def test_duplicate_check_matches_a_variant_name_with_another_kana(
    login, counselor, kochi_city
) -> None:
    existing = open_case(counselor, kochi_city, name="髙橋 健太", kana="たかはし けんた")
    data = intake_data(kochi_city, name="高橋健太", kana="たかはし けんいち")
    response = login(counselor).post(INTAKE, data)
    assert response.templates[0].name == "cases/intake_confirm.html"
    assert response.context["duplicates"] == [existing.person]


@pytest.mark.parametrize(
    ("existing_year", "typed"), [(1975, "1976"), (1975, "1974"), (None, "1975"), (1975, "")]
)
def test_duplicate_check_allows_one_year_either_way_and_unknown(
    login, counselor, kochi_city, existing_year, typed
) -> None:
    existing = open_case(counselor, kochi_city, kana="やまだ たろう", birth_year=existing_year)
    response = login(counselor).post(INTAKE, intake_data(kochi_city, birth_year=typed))
    assert response.templates[0].name == "cases/intake_confirm.html"
    assert response.context["duplicates"] == [existing.person]


def test_duplicate_check_ignores_two_years_apart(login, counselor, kochi_city) -> None:
    open_case(counselor, kochi_city, kana="やまだ たろう", birth_year=1973)
    response = login(counselor).post(INTAKE, intake_data(kochi_city, birth_year="1975"))
    assert response.status_code == 302
    assert Person.objects.count() == 2


def test_an_open_case_makes_record_on_it_the_default_choice(login, counselor, kochi_city) -> None:
    existing = open_case(counselor, kochi_city, kana="やまだ たろう", birth_year=1975)
    response = login(counselor).post(INTAKE, intake_data(kochi_city))
    body = response.content.decode()
    assert f'value="case:{existing.pk}" required checked' in body
    assert "既存のケースに記録する" in body


def test_recording_on_the_existing_case_adds_a_consultation_and_no_case(
    login, counselor, kochi_city
) -> None:
    existing = open_case(counselor, kochi_city, kana="やまだ たろう", birth_year=1975)
    data = intake_data(kochi_city, person_choice=f"case:{existing.pk}", notes="二回目の電話")
    response = login(counselor).post(INTAKE, data)
    assert response.status_code == 302
    assert response["Location"] == existing.get_absolute_url()
    assert Case.objects.count() == 1
    assert Person.objects.count() == 1
    assert existing.consultations.filter(notes="二回目の電話").count() == 1
    # The same form sent again records nothing more.
    login(counselor).post(INTAKE, data)
    assert Consultation.objects.filter(notes="二回目の電話").count() == 1


def test_recording_on_a_case_outside_the_scope_is_refused(
    login, counselor, center, muroto, kochi_city
) -> None:
    other = open_case(center, muroto, kana="やまだ たろう", birth_year=1975)
    data = intake_data(kochi_city, person_choice=f"case:{other.pk}")
    response = login(counselor).post(INTAKE, data)
    assert response.status_code == 404
    assert other.consultations.count() == 1
