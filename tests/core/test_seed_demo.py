import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from core.models import Municipality


def snapshot() -> dict[str, list[tuple]]:
    from django.apps import apps

    rows = {}
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "admin", "contenttypes", "auth", "audit"}:
            continue
        if model._meta.app_label == "django_tasks_db":
            continue
        # The dashboard's counters are rebuilt by each seed: the same rows, new ids.
        fields = ["area", "figure", "day", "n"] if model._meta.label == "kpi.Tally" else []
        rows[model._meta.label] = sorted(
            tuple(str(v) for v in row) for row in model.objects.values_list(*fields)
        )
    return rows


def test_seed_demo_twice_gives_the_same_rows(db, settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    first = snapshot()
    call_command("seed_demo", stdout=io.StringIO())
    assert snapshot() == first
    assert (
        User.objects.filter(
            username__in=["admin", "kencho", "center", "soudan-kochi", "soudan-aki"]
        ).count()
        == 5
    )


def test_demo_users_have_their_roles_and_scopes(db, settings) -> None:
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "soudan-kochi" in out.getvalue()
    kochi = User.objects.get(username="soudan-kochi")
    assert list(kochi.municipalities.values_list("code", flat=True)) == ["392014"]
    aki = User.objects.get(username="soudan-aki")
    assert list(aki.jurisdictions.values_list("name_ja", flat=True)) == ["安芸福祉保健所"]
    assert User.objects.get(username="kencho").role == User.Role.PREFECTURE
    assert User.objects.get(username="center").role == User.Role.CENTER
    assert User.objects.get(username="admin").check_password("demo")
    assert Municipality.objects.count() == 34


def test_seed_demo_is_refused_in_production_without_force(db, settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refused"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.filter(username="admin").exists()
    call_command("seed_demo", "--force", stdout=io.StringIO())
    assert User.objects.filter(username="admin").exists()


def test_demo_referrals_and_jobs_carry_their_cases_municipality(db, settings) -> None:
    """Referral.municipality is a copy of the case's (bulk_create skips save())."""
    from django.db.models import F

    from referrals.models import EmploymentOutcome, Referral

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    for model in (Referral, EmploymentOutcome):
        assert model.objects.exists()
        assert not model.objects.exclude(municipality=F("case__municipality")).exists()
