from django.urls import reverse

from cases.models import IssueTag


def test_issue_tags_from_the_domain_are_seeded(db) -> None:
    names = set(IssueTag.objects.values_list("name_ja", flat=True))
    assert {
        "8050問題", "ヤングケアラー", "ダブルケア", "ゴミ屋敷", "医療的ケアが必要", "生活困窮",
        "家庭内暴力", "精神疾患の疑い", "発達障害の疑い", "不登校経験",
    } <= names  # fmt: skip


def test_admin_can_manage_issue_tags(login, admin_user, tags) -> None:
    client = login(admin_user)
    assert client.get(reverse("admin:cases_issuetag_changelist")).status_code == 200
    assert client.get(reverse("admin:cases_issuetag_add")).status_code == 200


def test_personal_data_is_not_in_the_admin(login, admin_user) -> None:
    from django.contrib import admin

    from cases.models import Case, Consultation, Person

    for model in (Case, Person, Consultation):
        assert not admin.site.is_registered(model)
