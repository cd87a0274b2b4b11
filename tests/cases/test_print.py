"""Print layouts: the case record (支援経過記録) and the household sheet, audited like exports;
the sections come from a registry other apps extend."""

from django.urls import reverse

from audit.models import AuditEvent
from cases import printing
from core.printing import LAYOUTS, PrintSection, register
from tests.factories import HouseholdMemberFactory


def test_case_record_has_the_title_block_sections_and_no_form(login, counselor, case) -> None:
    response = login(counselor).get(reverse("cases:print", args=[case.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("支援経過記録", "氏名", "ケース番号", "担当", "印刷日時", "取扱注意", case.number):
        assert text in body, text
    assert [s.key for s in response.context["sections"]] == ["summary", "household", "history"]
    assert "<form" not in body
    assert 'class="print-table print-table--history"' in body
    consultation = case.consultations.get()
    assert consultation.notes in body


def test_printing_is_audited_like_an_export(login, counselor, case) -> None:
    login(counselor).get(reverse("cases:print", args=[case.pk]))
    event = AuditEvent.objects.filter(action="export", object_type="cases.case").get()
    assert event.object_id == str(case.pk)
    assert event.filters == {"print": "case_record"}


def test_household_sheet_lists_the_members(login, counselor, case) -> None:
    HouseholdMemberFactory(household=case.person.household, circumstances="要介護2の母")
    response = login(counselor).get(reverse("cases:household_print", args=[case.pk]))
    body = response.content.decode()
    assert "世帯票" in body and "要介護2の母" in body
    assert AuditEvent.objects.filter(action="export", filters={"print": "household_sheet"}).exists()


def test_outsider_cannot_print_a_case(login, outsider, case) -> None:
    assert login(outsider).get(reverse("cases:print", args=[case.pk])).status_code == 404


def test_another_app_plugs_a_section_in_before_the_history(login, counselor, case) -> None:
    saved = list(LAYOUTS[printing.CASE_RECORD])
    try:
        register(
            printing.CASE_RECORD,
            PrintSection("plan", "支援プラン", "print/_plan_test.html", lambda c, r: None),
            before="history",
        )
        keys = [s.key for s in LAYOUTS[printing.CASE_RECORD]]
        assert keys == ["summary", "household", "plan", "history"]
        # No plan for this case: its context is None and the section is left out.
        response = login(counselor).get(reverse("cases:print", args=[case.pk]))
        assert [s.key for s in response.context["sections"]] == ["summary", "household", "history"]
    finally:
        LAYOUTS[printing.CASE_RECORD] = saved


def test_the_support_plan_is_printed_before_the_history_when_there_is_one(
    login, counselor, case
) -> None:
    from tests.factories import PlanGoalFactory, SupportPlanFactory

    plan = SupportPlanFactory(case=case)
    PlanGoalFactory(plan=plan, goal="週1回、居場所に通う")
    response = login(counselor).get(reverse("cases:print", args=[case.pk]))
    keys = [s.key for s in response.context["sections"]]
    assert keys == ["summary", "household", "plan", "history"]
    body = response.content.decode()
    assert "支援プラン" in body and "週1回、居場所に通う" in body
