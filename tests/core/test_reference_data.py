import io

import pytest
from django.core.management import CommandError, call_command

from core.models import Jurisdiction, Municipality
from core.services import ReferenceDataError, municipalities_load_csv, reference_data_load_default

HEADER = "code,name_ja,name_en,kind,jurisdiction_ja,jurisdiction_en\n"


def test_kochi_is_loaded_with_34_municipalities_and_6_jurisdictions(kochi) -> None:
    assert Municipality.objects.filter(prefecture_code="39").count() == 34
    assert Jurisdiction.objects.filter(prefecture_code="39").count() == 6
    kochi_city = Municipality.objects.get(code="392014")
    assert (kochi_city.name_ja, kochi_city.kind) == ("高知市", "市")
    assert kochi_city.jurisdiction.name_ja == "高知市保健所"
    assert Municipality.objects.get(code="392022").jurisdiction.name_ja == "安芸福祉保健所"


def test_loading_twice_changes_nothing(kochi) -> None:
    before = list(Municipality.objects.values_list("pk", "code", "jurisdiction_id"))
    result = reference_data_load_default()
    assert result.created == 0
    assert result.updated == 34
    assert list(Municipality.objects.values_list("pk", "code", "jurisdiction_id")) == before


def test_another_prefecture_loads_from_csv(db) -> None:
    # 徳島市 (362018) and 鳴門市 (362026): real codes with valid check digits.
    data = HEADER + "362018,徳島市,Tokushima,市,徳島保健所,Tokushima HC\n"
    data += "362026,鳴門市,Naruto,市,徳島保健所,Tokushima HC\n"
    municipalities_load_csv(stream=io.StringIO(data))
    assert Municipality.objects.filter(prefecture_code="36").count() == 2
    assert Jurisdiction.objects.get(prefecture_code="36").municipalities.count() == 2


def test_a_bad_code_is_rejected_with_its_line_number_and_nothing_is_saved(db) -> None:
    data = HEADER + "362018,徳島市,Tokushima,市,徳島保健所,\n362027,鳴門市,Naruto,市,徳島保健所,\n"
    with pytest.raises(ReferenceDataError) as exc:
        municipalities_load_csv(stream=io.StringIO(data))
    assert exc.value.errors == ["3行目: 地方公共団体コード「362027」が正しくありません。"]
    assert not Municipality.objects.filter(prefecture_code="36").exists()


def test_the_command_reports_bad_rows(tmp_path, db) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "999999,架空市,,市,架空保健所,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="2行目"):
        call_command("load_municipalities", str(path))
