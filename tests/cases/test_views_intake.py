import pytest
from django.urls import reverse

from cases.models import Case, Person
from core.tokens import issue_submission_token
from tests.cases.conftest import days_ago, open_case

INTAKE = reverse("cases:intake")


def intake_data(municipality, **overrides):
    data = {
        "submission_token": issue_submission_token(),
        "municipality": municipality.pk,
        "intake_date": days_ago(0).isoformat(),
        "intake_route": "family",
        "visitor": "family",
        "name": "",
        "kana": "やまだ たろう",
        "birth_year": "1975",
        "person_age_band": "unknown",
        "sex": "male",
        "withdrawal_duration": "10y+",
        "age_band_at_intake": "unknown",
        "method": "phone",
        "with_whom": "family",
        "notes": "母親から電話。本人とはまだ会えていない。",
        "next_action": "母親と面談",
        "next_action_date": days_ago(-7).isoformat(),
    }
    data.update(overrides)
    return data


def test_intake_form_preselects_the_counselors_municipality_and_today(
    login, counselor, kochi_city, muroto
) -> None:
    response = login(counselor).get(INTAKE)
    form = response.context["form"]
    assert form["municipality"].value() == kochi_city.pk
    assert list(form.fields["municipality"].queryset) == [kochi_city]
    assert form["intake_date"].value() == days_ago(0)
    assert form["assigned_counselor"].value() == counselor.pk


def test_intake_opens_the_case_with_its_first_consultation(login, counselor, kochi_city) -> None:
    response = login(counselor).post(INTAKE, intake_data(kochi_city))
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == case.get_absolute_url()
    assert case.number.startswith("高知市-R8-")
    assert case.person.name == ""  # family-only: the person not met yet
    assert case.age_band_at_intake == "50s"
    consultation = case.consultations.get()
    assert (consultation.date, consultation.with_whom) == (days_ago(0), "family")


def test_intake_double_submit_opens_one_case(login, counselor, kochi_city) -> None:
    client = login(counselor)
    data = intake_data(kochi_city)
    client.post(INTAKE, data)
    client.post(INTAKE, data)
    assert Case.objects.count() == 1


def test_intake_outside_the_scope_is_an_invalid_choice(login, counselor, muroto) -> None:
    response = login(counselor).post(INTAKE, intake_data(muroto))
    assert response.status_code == 200
    assert response.context["form"].errors["municipality"]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"intake_date": days_ago(-1).isoformat()}, "intake_date", "未来の日付は入力できません。"),
        ({"kana": "山田"}, "kana", "ひらがな・カタカナで入力してください"),
        ({"method": "visit"}, "duration_minutes", "所要時間を入力してください。"),
        ({"next_action_date": days_ago(1).isoformat()}, "next_action_date", "相談日以降"),
        ({"birth_year": "1850"}, "birth_year", ""),
    ],
)
def test_intake_validation_messages_next_to_the_field_and_nothing_saved(
    login, counselor, kochi_city, overrides, field, message
) -> None:
    response = login(counselor).post(INTAKE, intake_data(kochi_city, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in e for e in errors)
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Case.objects.exists()
    assert not Person.objects.exists()


def test_possible_duplicate_is_shown_before_creating_a_person(login, counselor, kochi_city) -> None:
    existing = open_case(counselor, kochi_city, kana="ヤマダ タロウ", birth_year=1975)
    response = login(counselor).post(INTAKE, intake_data(kochi_city, kana="やまだたろう"))
    assert response.status_code == 200
    assert response.templates[0].name == "cases/intake_confirm.html"
    assert response.context["duplicates"] == [existing.person]
    body = response.content.decode()
    assert existing.number in body
    assert f'name="person_choice" value="{existing.person.pk}"' in body
    assert 'name="person_choice" value="new"' in body
    assert Case.objects.count() == 1


def test_no_duplicate_warning_for_another_birth_year_or_municipality(
    login, counselor, center, kochi_city, muroto
) -> None:
    open_case(counselor, kochi_city, kana="やまだ たろう", birth_year=1980)
    open_case(center, muroto, kana="やまだ たろう", birth_year=1975)
    response = login(counselor).post(INTAKE, intake_data(kochi_city))
    assert response.status_code == 302
    assert Person.objects.count() == 3


def test_picking_the_existing_person_opens_a_new_case_for_them(
    login, counselor, kochi_city
) -> None:
    existing = open_case(counselor, kochi_city, kana="やまだ たろう", birth_year=1975)
    data = intake_data(kochi_city, person_choice=str(existing.person.pk))
    response = login(counselor).post(INTAKE, data)
    assert response.status_code == 302
    new_case = Case.objects.exclude(pk=existing.pk).get()
    assert new_case.person == existing.person
    assert Person.objects.count() == 1


def test_confirming_a_new_person_creates_one(login, counselor, kochi_city) -> None:
    open_case(counselor, kochi_city, kana="やまだ たろう", birth_year=1975)
    response = login(counselor).post(INTAKE, intake_data(kochi_city, person_choice="new"))
    assert response.status_code == 302
    assert Person.objects.count() == 2


def test_a_forged_person_choice_from_another_municipality_is_refused(
    login, counselor, center, kochi_city, muroto
) -> None:
    other = open_case(center, muroto, kana="やまだ たろう", birth_year=1975)
    data = intake_data(kochi_city, person_choice=str(other.person.pk))
    response = login(counselor).post(INTAKE, data)
    assert response.status_code == 200
    assert Case.objects.count() == 1


def test_back_from_the_duplicate_step_shows_the_filled_form(login, counselor, kochi_city) -> None:
    open_case(counselor, kochi_city, kana="やまだ たろう", birth_year=1975)
    response = login(counselor).post(INTAKE, intake_data(kochi_city, back="1"))
    assert response.templates[0].name == "cases/intake.html"
    assert response.context["form"]["notes"].value().startswith("母親から電話")


def test_intake_asks_one_age_band_and_gives_it_to_the_person(login, counselor, kochi_city) -> None:
    client = login(counselor)
    form = client.get(INTAKE).context["form"]
    assert "person_age_band" not in form.fields
    data = intake_data(kochi_city, birth_year="", age_band_at_intake="40s")
    client.post(INTAKE, data)
    case = Case.objects.get()
    assert (case.age_band_at_intake, case.person.age_band) == ("40s", "40s")


def test_intake_accepts_any_whole_minute(login, counselor, kochi_city) -> None:
    client = login(counselor)
    body = client.get(INTAKE).content.decode()
    assert 'name="duration_minutes"' in body
    duration = body[
        body.index('name="duration_minutes"') - 200 : body.index('name="duration_minutes"') + 200
    ]
    assert 'step="1"' in duration and 'min="1"' in duration
    client.post(INTAKE, intake_data(kochi_city, method="visit", duration_minutes="12"))
    assert Case.objects.get().consultations.get().duration_minutes == 12


@pytest.mark.parametrize(("minutes", "accepted"), [("0", False), ("1", True), ("1441", False)])
def test_intake_duration_bounds_are_the_same_in_html_and_server(
    login, counselor, kochi_city, minutes, accepted
) -> None:
    response = login(counselor).post(
        INTAKE, intake_data(kochi_city, method="visit", duration_minutes=minutes)
    )
    assert Case.objects.exists() is accepted
    if not accepted:
        assert "所要時間は1分から1440分の間で入力してください。" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "limit", "label"), [("next_action", 500, "次の対応"), ("name", 100, "本人の氏名")]
)
def test_long_text_is_refused_with_a_message_not_cut(
    login, counselor, kochi_city, field, limit, label
) -> None:
    client = login(counselor)
    body = client.get(INTAKE).content.decode()
    widget = body[body.index(f'name="{field}"') - 300 : body.index(f'name="{field}"') + 300]
    assert f'data-maxlength="{limit}"' in widget
    assert "maxlength=" not in widget.replace("data-maxlength=", "")  # the browser cuts
    assert f'id="id_{field}_counter"' in body
    response = client.post(INTAKE, intake_data(kochi_city, **{field: "あ" * (limit + 20)}))
    assert not Case.objects.exists()
    errors = response.context["form"].errors[field]
    assert errors == [f"{label}は{limit}文字以内で入力してください（今は{limit + 20}文字です）。"]


@pytest.mark.parametrize(
    ("typed", "year"), [("1985", 1985), ("S60", 1985), ("昭和60", 1985), ("昭和60年", 1985)]
)
def test_birth_year_accepts_wareki(login, counselor, kochi_city, typed, year) -> None:
    login(counselor).post(INTAKE, intake_data(kochi_city, birth_year=typed))
    assert Case.objects.get().person.birth_year == year


@pytest.mark.parametrize("typed", ["1800", "abc", "S70"])
def test_birth_year_out_of_range_reads_in_plain_japanese(
    login, counselor, kochi_city, typed
) -> None:
    response = login(counselor).post(INTAKE, intake_data(kochi_city, birth_year=typed))
    assert response.context["form"].errors["birth_year"] == [
        "生まれ年は1900年以降の西暦4桁で入力してください。"
    ]


@pytest.mark.parametrize(
    "pattern",
    ["R{r}.{m}.{d}", "令和{r}年{m}月{d}日", "{y}/{m}/{d}", "{y}-{m:02}-{d:02}", "Ｒ{r}．{m}．{d}"],
)
def test_intake_date_accepts_wareki_and_western(login, counselor, kochi_city, pattern) -> None:
    today = days_ago(0)
    typed = pattern.format(r=today.year - 2018, y=today.year, m=today.month, d=today.day)
    typed = (
        typed.translate({ord(c): 0xFF10 + int(c) for c in "0123456789"}) if "Ｒ" in typed else typed
    )
    login(counselor).post(INTAKE, intake_data(kochi_city, intake_date=typed))
    assert Case.objects.get().intake_date == today


def test_required_messages_name_the_field(login, counselor, kochi_city) -> None:
    response = login(counselor).post(INTAKE, intake_data(kochi_city, intake_route=""))
    assert response.context["form"].errors["intake_route"] == ["相談経路を選んでください。"]
    body = response.content.decode()
    assert 'href="#id_intake_route_error"' in body  # the summary links to the field
    assert "選択してください" in body
    assert "---------" not in body
