"""Training events with attendance, publicity actions, and who may record them."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from core.models import Jurisdiction
from programme import services
from programme.models import PublicityAction, TrainingAttendance, TrainingEvent
from programme.services import PublicityInput, TrainingInput
from tests.factories import TrainingEventFactory
from tests.kpi.helpers import muni

pytestmark = pytest.mark.django_db


def test_centre_records_an_event_and_its_attendance(login, center):
    aki = Jurisdiction.objects.get(name_ja="安芸福祉保健所")
    client = login(center)
    response = client.post(
        reverse("programme:training_create"),
        {
            "title": "安芸管内 研修会",
            "kind": "training",
            "held_on": "2023-07-01",
            "jurisdiction": aki.pk,
            "organiser": "安芸福祉保健所",
            "audience": "minsei",
        },
    )
    event = TrainingEvent.objects.get()
    assert response.status_code == 302 and event.prefecture_code == "39"
    url = reverse("programme:attendance_set", args=[event.pk])
    client.post(url, {"municipality": muni("392022").pk, "agency": "民生委員", "attendees": 6})
    client.post(url, {"municipality": muni("392031").pk, "agency": "民生委員", "attendees": 4})
    # The same municipality and agency again: the number is replaced, not added.
    client.post(url, {"municipality": muni("392022").pk, "agency": "民生委員", "attendees": 7})
    assert TrainingAttendance.objects.count() == 2
    page = client.get(event.get_absolute_url())
    assert page.context["total"] == 11
    assert (
        AuditEvent.objects.filter(
            object_type="programme.trainingattendance", action="update"
        ).count()
        == 1
    )


def test_attendance_must_be_at_least_one(login, center):
    event = TrainingEventFactory()
    response = login(center).post(
        reverse("programme:attendance_set", args=[event.pk]), {"agency": "社協", "attendees": 0}
    )
    assert response.status_code == 400
    assert "参加人数は1人以上で入力してください。" in response.context["form"].errors["attendees"]
    assert not TrainingAttendance.objects.exists()


def test_attendance_municipality_is_of_the_event_jurisdiction(login, center):
    event = TrainingEventFactory(jurisdiction=Jurisdiction.objects.get(name_ja="安芸福祉保健所"))
    response = login(center).post(
        reverse("programme:attendance_set", args=[event.pk]),
        {"municipality": muni("392014").pk, "agency": "市", "attendees": 2},
    )
    assert response.status_code == 400 and "municipality" in response.context["form"].errors


def test_health_office_counselor_records_in_its_own_jurisdiction_only(aki_counselor):
    aki = Jurisdiction.objects.get(name_ja="安芸福祉保健所")
    kochi_office = muni("392014").jurisdiction
    data = dict(title="研修", kind="training", held_on=dt.date(2023, 7, 1), organiser="所")
    event = services.training_event_create(
        user=aki_counselor,
        prefecture_code="39",
        data=TrainingInput(audience="agencies", jurisdiction=aki, **data),
    )
    assert event.jurisdiction == aki
    with pytest.raises(PermissionDenied):
        services.training_event_create(
            user=aki_counselor,
            prefecture_code="39",
            data=TrainingInput(audience="agencies", jurisdiction=kochi_office, **data),
        )
    with pytest.raises(PermissionDenied):  # prefecture-wide: the centre's
        services.training_event_create(
            user=aki_counselor,
            prefecture_code="39",
            data=TrainingInput(audience="agencies", jurisdiction=None, **data),
        )


def test_municipal_counselor_and_prefecture_staff_see_but_cannot_record(
    login, counselor, prefecture_staff
):
    TrainingEventFactory()
    for user in (counselor, prefecture_staff):
        client = login(user)
        assert client.get(reverse("programme:training_list")).status_code == 200
        assert client.get(reverse("programme:training_create")).status_code == 403
        assert client.get(reverse("programme:publicity_create")).status_code == 403


def test_publicity_action_is_recorded(login, center):
    response = login(center).post(
        reverse("programme:publicity_create"),
        {
            "kind": "leaflet",
            "title": "相談窓口リーフレット",
            "done_on": "2023-06-15",
            "where": "市町村窓口",
            "quantity": 5000,
        },
    )
    action = PublicityAction.objects.get()
    assert response.status_code == 302
    assert (action.quantity, action.municipality, action.prefecture_code) == (5000, None, "39")


def test_publicity_needs_where(center):
    with pytest.raises(ValidationError) as error:
        services.publicity_action_create(
            user=center,
            prefecture_code="39",
            data=PublicityInput(
                kind="poster", title="ポスター", done_on=dt.date(2023, 6, 1), where=""
            ),
        )
    assert "where" in error.value.message_dict
    assert not PublicityAction.objects.exists()


def test_support_list_shows_periods(login, prefecture_staff):
    from tests.factories import PlaceSupportFactory

    period = PlaceSupportFactory(incentive=True, incentive_note="奨励金")
    body = login(prefecture_staff).get(reverse("programme:support_list")).content.decode()
    assert period.resource.name in body and "奨励金" in body


def test_training_list_is_newest_first_with_attendance(login, counselor):
    old = TrainingEventFactory(held_on=dt.date(2022, 5, 1))
    new = TrainingEventFactory(held_on=dt.date(2023, 5, 1))
    TrainingAttendance.objects.create(event=old, agency="市", attendees=3)
    events = login(counselor).get(reverse("programme:training_list")).context["events"]
    assert [(e.pk, e.attendees) for e in events] == [(new.pk, None), (old.pk, 3)]


# --- The two list pages (programme/_record_list.html) and the shared create form -------------


def _cells(body: str, tag: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(rf"<{tag}\b.*?</{tag}>", body, re.S)
    ]


def _in(client, lang: str):
    client.post("/i18n/setlang/", {"language": lang, "next": "/"})
    return client


LISTS = {
    # url: (ja header cells, en header cells, ja empty line, en empty line)
    "programme:training_list": (
        ["開催日", "名称", "種別", "管轄", "対象", "参加人数"],
        ["Meeting date", "Name", "Type", "Jurisdiction", "Audience", "Attendance"],
        "研修はまだ登録されていません。",
        "No training events recorded yet.",
    ),
    "programme:publicity_list": (
        ["実施日", "種別", "名称", "市町村", "配布・掲載先", "部数・枚数"],
        ["Date", "Type", "Name", "Municipality", "Where", "Copies"],
        "広報はまだ登録されていません。",
        "No publicity recorded yet.",
    ),
}


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_list_pages_say_there_are_none_yet(login, center, url, lang):
    body = _in(login(center), lang).get(reverse(url)).content.decode()
    empty = LISTS[url][2 if lang == "ja" else 3]
    assert f'<p class="empty">{empty}</p>' in body and "<table" not in body


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_list_pages_show_their_columns_rows_tab_and_create_button(login, center, counselor, lang):
    TrainingEventFactory(title="安芸の研修", jurisdiction=None)
    PublicityAction.objects.create(
        prefecture_code="39", kind="leaflet", title="リーフレット", done_on=dt.date(2023, 6, 1),
        where="窓口", quantity=12345,
    )  # fmt: skip
    wide = "県全域" if lang == "ja" else "Prefecture-wide"
    rows = {
        "programme:training_list": [
            ["2023年7月1日" if lang == "ja" else "July 1, 2023", "安芸の研修",
             "研修会" if lang == "ja" else "Training", wide,
             "市町村職員" if lang == "ja" else "Municipal staff", "0"],
        ],
        "programme:publicity_list": [
            ["2023年6月1日" if lang == "ja" else "June 1, 2023",
             "リーフレット" if lang == "ja" else "Leaflet", "リーフレット", wide, "窓口", "12,345"],
        ],
    }  # fmt: skip
    create = {
        "programme:training_list": "training_create",
        "programme:publicity_list": "publicity_create",
    }
    for url, (ja_heads, en_heads, *_empty) in LISTS.items():
        body = _in(login(center), lang).get(reverse(url)).content.decode()
        assert _cells(body, "th") == (ja_heads if lang == "ja" else en_heads)
        assert [
            _cells(row, "td")
            for row in re.findall(r"<tbody>.*?</tbody>", body, re.S)[0].split("</tr>")[:-1]
        ] == rows[url]
        tab = re.search(r'<a href="([^"]+)" aria-current="page">', body)
        assert tab and tab.group(1) == reverse(url)
        assert f'href="{reverse("programme:" + create[url])}"' in body
        # A municipal counselor sees the list without the button.
        body = _in(login(counselor), lang).get(reverse(url)).content.decode()
        assert f'href="{reverse("programme:" + create[url])}"' not in body
        assert len(_cells(body, "th")) == 6


@pytest.mark.parametrize(
    ("url", "data", "field", "message"),
    [
        (
            "programme:training_create",
            {"title": "研修", "kind": "training", "held_on": "2023-07-01", "organiser": "所",
             "audience": "agencies"},
            "jurisdiction",
            "県全域の研修は、センターと管理者が登録します。",
        ),
        (
            "programme:publicity_create",
            {"kind": "leaflet", "title": "リーフ", "done_on": "2023-06-01", "where": "窓口"},
            "municipality",
            "県全域の広報は、センターと管理者が登録します。",
        ),
    ],
)  # fmt: skip
def test_a_health_office_cannot_record_prefecture_wide(
    login, aki_counselor, url, data, field, message
):
    response = login(aki_counselor).post(reverse(url), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not TrainingEvent.objects.exists() and not PublicityAction.objects.exists()


def test_the_create_forms_offer_the_recorders_areas(aki_counselor):
    from programme.forms import PublicityForm, TrainingEventForm
    from programme.selectors import programme_jurisdictions

    jurisdictions = programme_jurisdictions(aki_counselor)
    training = TrainingEventForm(jurisdictions=jurisdictions)
    publicity = PublicityForm(jurisdictions=jurisdictions)
    assert [j.name_ja for j in training.fields["jurisdiction"].queryset] == ["安芸福祉保健所"]
    offered = publicity.fields["municipality"].queryset
    assert offered.exists() and {m.jurisdiction.name_ja for m in offered} == {"安芸福祉保健所"}
    # The error summary lists the fields in this order, as before the shared base.
    own = [
        name for name in publicity.fields if name not in ("submission_token", "confirm_duplicate")
    ]
    assert own == ["kind", "title", "done_on", "municipality", "where", "quantity"]
    assert [name for name in training.fields][2:4] == ["title", "kind"]
