"""Finding 1: a counselor cannot capture another municipality's ledger rows.

The attack: a 安芸 counselor opens an 安芸市 case carrying the submission token of 高知市's
ledger row 1 (the token was derived from a constant); the next 高知市 import attached that
row's note to the 安芸 case and dropped it from 高知市, or stopped with a bare 403.
"""

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from cases.models import Case, Consultation
from core.models import Municipality
from core.tokens import issue_submission_token, read_submission_token
from exports.ledger import LEDGER_NAMESPACE, ledger_token
from tests.cases.test_views_intake import intake_data
from tests.exports.test_ledger_import import confirm_now, ledger, row, upload
from tests.factories import CaseFactory, ConsultationFactory, PersonFactory

AKI_CITY = "392031"
LEGACY_KOCHI_ROW_1 = uuid.uuid5(LEDGER_NAMESPACE, "392014/A-1/1")


def import_ledger(client, data: bytes):
    preview = upload(client, data)
    assert preview.status_code == 200, preview.content.decode()[:2000]
    return confirm_now(client, preview.context["token"])


def test_the_intake_form_refuses_a_token_the_server_did_not_issue(login, aki_counselor) -> None:
    aki = Municipality.objects.get(code=AKI_CITY)
    data = intake_data(aki, submission_token=str(LEGACY_KOCHI_ROW_1))
    response = login(aki_counselor).post(reverse("cases:intake"), data)
    assert response.status_code == 200
    assert "送信情報が正しくありません" in response.content.decode()
    assert not Case.objects.exists()
    assert not Consultation.objects.filter(submission_token=LEGACY_KOCHI_ROW_1).exists()


def test_the_consultation_form_refuses_a_made_up_token(login, counselor) -> None:
    case = CaseFactory()
    data = {
        "submission_token": str(uuid.uuid4()),
        "date": case.intake_date.isoformat(),
        "method": "phone",
        "with_whom": "family",
        "notes": "x",
    }
    response = login(counselor).post(reverse("cases:consultation_create", args=[case.pk]), data)
    assert "送信情報が正しくありません" in response.content.decode()
    assert not case.consultations.filter(notes="x").exists()


def test_an_issued_token_is_accepted_once(login, counselor, kochi_city) -> None:
    token = issue_submission_token()
    client = login(counselor)
    client.post(reverse("cases:intake"), intake_data(kochi_city, submission_token=token))
    client.post(reverse("cases:intake"), intake_data(kochi_city, submission_token=token))
    assert Case.objects.count() == 1
    first = Consultation.objects.get()
    assert first.submission_token == read_submission_token(token)


def test_ledger_tokens_are_keyed_with_the_secret_key(settings) -> None:
    ref = "392014/A-1/1"
    token = ledger_token(ref)
    assert token != LEGACY_KOCHI_ROW_1
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789abcdef"
    assert ledger_token(ref) != token


def test_a_planted_token_never_moves_a_row_into_another_municipality(
    login, counselor, aki_counselor
) -> None:
    # An 安芸市 case carrying 高知市 row 1's old (unkeyed) token, as before the fix.
    aki = Municipality.objects.get(code=AKI_CITY)
    planted_case = CaseFactory(person=PersonFactory(municipality=aki), municipality=aki)
    ConsultationFactory(case=planted_case, submission_token=LEGACY_KOCHI_ROW_1, notes="罠")
    response = import_ledger(login(counselor), ledger(row()))
    # The 高知市 import is not blocked (no 403) and the row lands in 高知市.
    assert response.status_code == 302
    kochi_case = Case.objects.get(municipality__code="392014")
    assert list(kochi_case.consultations.values_list("notes", flat=True)) == ["母から電話"]
    # Nothing was attached to the 安芸 case.
    assert list(planted_case.consultations.values_list("notes", flat=True)) == ["罠"]


def test_a_clash_does_not_block_the_import_by_the_centre(login, center) -> None:
    aki = Municipality.objects.get(code=AKI_CITY)
    planted_case = CaseFactory(person=PersonFactory(municipality=aki), municipality=aki)
    ConsultationFactory(case=planted_case, submission_token=LEGACY_KOCHI_ROW_1)
    response = import_ledger(login(center), ledger(row()))
    assert response.status_code == 302
    assert Case.objects.filter(municipality__code="392014").count() == 1
    assert planted_case.consultations.count() == 1


def test_reimporting_a_ledger_imported_under_the_old_tokens_creates_nothing(
    login, counselor, kochi_city
) -> None:
    # Imported before the tokens were keyed: the unkeyed token, in the row's own municipality.
    case = CaseFactory(intake_date=dt.date(2023, 5, 1))
    ConsultationFactory(case=case, date=dt.date(2023, 5, 1), submission_token=LEGACY_KOCHI_ROW_1)
    before = Consultation.objects.count()
    response = import_ledger(login(counselor), ledger(row()))
    assert response.status_code == 302
    assert Consultation.objects.count() == before
    assert Case.objects.count() == 1


@pytest.mark.parametrize("rotate", [False, True])
def test_reimporting_creates_nothing_even_after_a_key_rotation(
    login, counselor, settings, rotate: bool
) -> None:
    client = login(counselor)
    assert import_ledger(client, ledger(row())).status_code == 302
    if rotate:
        settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
        settings.SECRET_KEY = "a-rotated-secret-key-for-this-test-only-0123456789abcdef"
    assert import_ledger(client, ledger(row())).status_code == 302
    assert Consultation.objects.count() == 1


def test_the_preview_token_is_not_the_ledger_token(login, counselor) -> None:
    # The confirm step's own token (a file name in the session) is random per upload.
    client = login(counselor)
    first = upload(client, ledger(row())).context["token"]
    second = upload(client, ledger(row())).context["token"]
    assert first != second
