"""`manage.py kpi_report`: the JSON contract and the readable table."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.models import Jurisdiction
from tests.factories import CaseMeetingFactory
from tests.kpi.helpers import case_in, employment, link, muni

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("kpi_report", *args, stdout=out)
    return out.getvalue()


def test_json_shape(kochi) -> None:
    case_in(intake=dt.date(2023, 5, 1))
    case_in(intake=dt.date(2024, 1, 5))  # after as_of
    CaseMeetingFactory(municipality=muni("392014"), held_on=dt.date(2023, 6, 1))
    link(connected=dt.date(2023, 7, 1))
    employment(started=dt.date(2023, 8, 1))
    data = json.loads(run("--fy", "2023", "--as-of", "2023-12-31", "--json"))
    assert list(data) == [
        "fiscal_year", "label", "scope", "as_of", "no_data", "closed", "indicators"
    ]  # fmt: skip
    assert (data["no_data"], data["closed"]) == (False, False)
    assert data["fiscal_year"] == 2023
    assert data["label"] == "令和5年度"
    assert data["as_of"] == "2023-12-31"
    assert data["scope"] == {
        "kind": "prefecture",
        "prefecture_code": "39",
        "name": "高知県",
    }
    by_key = {i["key"]: i for i in data["indicators"]}
    assert [i["key"] for i in data["indicators"]] == [
        "new_consultations",
        "municipalities_with_case_meetings",
        "ibasho_links",
        "employed_after_intermediate",
    ]
    # Cases made by link() and employment() are opened in FY2022: only one new case.
    assert {k: (v["value"], v["target"], v["unit"]) for k, v in by_key.items()} == {
        "new_consultations": (1, 200, "件"),
        "municipalities_with_case_meetings": (1, 34, "市町村"),
        "ibasho_links": (1, 100, "件"),
        "employed_after_intermediate": (1, 10, "人"),
    }
    assert by_key["municipalities_with_case_meetings"]["total"] == 34
    assert "total" not in by_key["new_consultations"]
    assert by_key["employed_after_intermediate"]["status"] == "at_risk"


def test_scope_by_municipality_code_and_jurisdiction_id(kochi) -> None:
    case_in("392022", intake=dt.date(2023, 5, 1))
    case_in("392014", intake=dt.date(2023, 5, 1))
    data = json.loads(run("--fy", "2023", "--scope", "392022", "--json"))
    assert data["scope"] == {
        "kind": "municipality",
        "prefecture_code": "39",
        "code": "392022",
        "name": "室戸市",
    }
    assert data["indicators"][0]["value"] == 1
    assert data["indicators"][1]["total"] == 1
    aki = Jurisdiction.objects.get(name_ja="安芸福祉保健所")
    data = json.loads(run("--fy", "2023", "--scope", str(aki.pk), "--json"))
    assert data["scope"]["kind"] == "jurisdiction"
    assert data["scope"]["id"] == aki.pk
    assert data["indicators"][1]["total"] == 9


def test_pref_scope_uses_the_default_prefecture(kochi, settings) -> None:
    settings.DEFAULT_PREFECTURE_CODE = "13"
    data = json.loads(run("--fy", "2023", "--scope", "pref", "--json"))
    assert data["scope"]["prefecture_code"] == "13"
    assert data["indicators"][1]["total"] == 0


def test_readable_table(kochi) -> None:
    case_in(intake=dt.date(2023, 5, 1))
    out = run("--fy", "2023", "--as-of", "2023-12-31")
    assert "令和5年度（2023年度）" in out
    assert "2023-12-31時点" in out
    assert "新規相談件数" in out and "実績 1件" in out and "目標 200" in out
    assert "ケース会議を実施した市町村数" in out and "0 / 34市町村" in out


def test_bad_arguments_are_refused(kochi) -> None:
    with pytest.raises(CommandError):
        run("--fy", "2023", "--scope", "nowhere")
    with pytest.raises(CommandError):
        run("--fy", "2023", "--as-of", "2023-13-01")
