"""The case list's row rendered in Python (`{% case_row %}`) is templates/cases/_case_row.html,
byte for byte: for cases of every shape the row knows, in both languages, and with or without
the page's URL pattern. And `core.links.UrlPattern` builds the URLs `reverse()` builds."""

import datetime as dt
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from django.template import Context, Template
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation

from cases.models import Case
from cases.selectors import tag_names_attach
from core.dates import WAREKI, WESTERN, current_request
from core.links import UrlPattern
from tests.factories import CaseFactory, PersonFactory


@contextmanager
def use_style(style: str) -> Iterator[None]:
    """Dates as a user who chose `style` sees them (core.dates.current_style)."""
    user = SimpleNamespace(is_authenticated=True, date_style=style)
    token = current_request.set(SimpleNamespace(user=user))
    try:
        yield
    finally:
        current_request.reset(token)


ROW = Template("{% load cases_tags %}{% case_row case %}")
TODAY = dt.date(2026, 12, 2)


def _variants(case: Case) -> list[tuple[str, dict[str, Any]]]:
    """Attribute changes that take each branch of the row."""
    return [
        ("as fetched", {}),
        ("voided", {"voided_at": timezone.now()}),
        ("due today", {"next_action_on": TODAY}),
        ("overdue", {"next_action_on": TODAY - dt.timedelta(days=3)}),
        (
            "overdue but closed",
            {"next_action_on": TODAY - dt.timedelta(days=3), "status": "closed"},
        ),
        ("voided and overdue", {"voided_at": timezone.now(), "next_action_on": TODAY}),
        ("later", {"next_action_on": TODAY + dt.timedelta(days=3), "status": "suspended"}),
        ("no next action", {"next_action_on": None, "status": "ended"}),
        ("no counselor", {"assigned_counselor": None}),
        ("no last contact", {"last_seen_on": None}),
        ("markup in the number", {"number": "<b>\"&'"}),
    ]


PEOPLE = [
    {"name": "高知 太郎", "kana": "こうち たろう"},
    {"name": "<script>&", "kana": ""},
    {"name": "", "kana": "かな<だけ>"},
    {"name": "", "kana": ""},
]


@pytest.fixture
def fetched(counselor, kochi_city, tags) -> Case:
    case = CaseFactory(
        person=PersonFactory(municipality=kochi_city),
        assigned_counselor=counselor,
        age_band_at_intake="20s",
    )
    case.issue_tags.add(tags["8050"], tags["poverty"])
    tags["poverty"].name_ja = "生活<困窮>&"
    tags["poverty"].save()
    return (
        Case.objects.with_activity()
        .select_related("municipality", "person", "assigned_counselor")
        .prefetch_related("issue_tags")
        .get(pk=case.pk)
    )


def test_case_row_renders_as_the_row_template(fetched) -> None:
    template = get_template("cases/_case_row.html")
    compared = 0
    for name, changes in _variants(fetched):
        case = (
            Case.objects.with_activity()
            .select_related("municipality", "person", "assigned_counselor")
            .prefetch_related("issue_tags")
            .get(pk=fetched.pk)
        )
        for attr, value in changes.items():
            setattr(case, attr, value)
        shapes = itertools.product(
            ("ja", "en"), (WAREKI, WESTERN), (True, False), (True, False), PEOPLE
        )
        for language, style, show_municipality, with_pattern, person in shapes:
            for attr, value in person.items():
                setattr(case.person, attr, value)
            context = {"case": case, "today": TODAY, "show_municipality": show_municipality}
            with translation.override(language), use_style(style):
                expected = template.render(context)
                if with_pattern:
                    # The list's own rows: the tag names attached (tag_names_attach).
                    context["case_urls"] = UrlPattern("cases:detail")
                    tag_names_attach([case])
                ours = ROW.render(Context(context))
                if with_pattern:
                    del case.tag_names
            assert ours == expected, (name, language, style, person, show_municipality)
            compared += 1
    assert compared == len(_variants(fetched)) * 2 * 2 * 2 * 2 * len(PEOPLE)


def test_tag_names_are_the_tags_names_in_their_order(counselor, kochi_city, tags) -> None:
    tagged, untagged = CaseFactory.create_batch(2, person=PersonFactory(municipality=kochi_city))
    ordered = sorted(tags.values(), key=lambda t: (t.sort_order, t.pk))
    tagged.issue_tags.add(*reversed(ordered))
    ordered[0].name_en = ""  # no English name: the Japanese one
    ordered[0].save()
    for language in ("ja", "en"):
        with translation.override(language):
            cases = tag_names_attach(list(Case.objects.filter(pk__in=[tagged.pk, untagged.pk])))
            by_pk = {case.pk: case.tag_names for case in cases}
            assert by_pk[tagged.pk] == [tag.name for tag in tagged.issue_tags.all()]
            assert len(by_pk[tagged.pk]) == len(ordered) > 1
            assert by_pk[untagged.pk] == []
    with translation.override("en"):
        assert by_pk[tagged.pk][0] == ordered[0].name_ja
        assert by_pk[tagged.pk][1] == ordered[1].name_en != ordered[1].name_ja


@pytest.mark.parametrize("pk", [1, 7, 12345, 2**40])
def test_url_pattern_is_reverse(pk) -> None:
    assert UrlPattern("cases:detail")(pk) == reverse("cases:detail", args=[pk])
    assert UrlPattern("cases:consultation_edit", 3)(pk) == reverse(
        "cases:consultation_edit", args=[3, pk]
    )


def test_url_pattern_follows_the_script_prefix() -> None:
    from django.urls import get_script_prefix, set_script_prefix

    before = get_script_prefix()
    try:
        set_script_prefix("/hiki/")
        assert UrlPattern("cases:detail")(5) == reverse("cases:detail", args=[5])
        assert UrlPattern("cases:detail")(5).startswith("/hiki/")
    finally:
        set_script_prefix(before)


LABEL = Template("{% load cases_tags %}{% person_label case.person %}")
BADGE = Template("{% load cases_tags %}{% status_badge case %}")


def test_person_label_and_status_badge_render_as_their_includes(fetched) -> None:
    """The home panels' `{% person_label %}` and the `{% status_badge %}` of the panels and
    the case page are cases/_person_label.html and cases/_status_badge.html."""
    label = get_template("cases/_person_label.html")
    badge = get_template("cases/_status_badge.html")
    compared = 0
    for language, person, status in itertools.product(("ja", "en"), PEOPLE, Case.Status):
        for attr, value in person.items():
            setattr(fetched.person, attr, value)
        fetched.status = status
        with translation.override(language):
            context = {"case": fetched, "person": fetched.person}
            assert LABEL.render(Context(context)) == label.render(context), (language, person)
            assert BADGE.render(Context(context)) == badge.render(context), (language, status)
        compared += 1
    assert compared == 2 * len(PEOPLE) * len(Case.Status)


def test_row_url_is_url_with_one_reverse_per_page(monkeypatch) -> None:
    """`{% row_url %}` builds what `{% url %}` builds, and reverses each URL name (with its
    fixed arguments) once for the whole page, includes included."""
    import core.links

    ours = Template(
        "{% load links %}{% for pk in pks %}{% row_url 'cases:detail' pk %} "
        "{% row_url 'cases:consultation_edit' 3 pk %} {% include inner %}{% endfor %}"
    )
    theirs = Template(
        "{% for pk in pks %}{% url 'cases:detail' pk %} "
        "{% url 'cases:consultation_edit' 3 pk %} {% include inner %}{% endfor %}"
    )
    inner = Template("{% load links %}{% row_url 'cases:detail' pk as url %}[{{ url }}]")
    inner_theirs = Template("{% url 'cases:detail' pk as url %}[{{ url }}]")
    reversed_names: list[str] = []
    real_reverse = core.links.reverse

    def counting_reverse(name: str, *args: Any, **kwargs: Any) -> str:
        reversed_names.append(name)
        return real_reverse(name, *args, **kwargs)

    monkeypatch.setattr(core.links, "reverse", counting_reverse)
    pks = [1, 7, 12345]
    expected = theirs.render(Context({"pks": pks, "inner": inner_theirs}))
    assert ours.render(Context({"pks": pks, "inner": inner})) == expected
    assert "/7/" in expected
    assert sorted(reversed_names) == ["cases:consultation_edit", "cases:detail"]
    # A new page reverses again (the script prefix is the request's).
    ours.render(Context({"pks": pks, "inner": inner}))
    assert len(reversed_names) == 4
