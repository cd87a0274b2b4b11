"""core.forms.ModelChoiceFilter / ModelMultipleChoiceFilter: the same choices as
django-filters' own, read with one plain query (no `iterator()`: on PostgreSQL a server-side
cursor, three round trips)."""

import pytest
from django.db.models import QuerySet

from accounts.models import User
from cases.filters import CaseFilter


def _choices(form, name: str) -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in form.fields[name].choices]


@pytest.mark.django_db
def test_case_filter_choices_come_from_one_query(
    counselor, colleague, case, tags, django_assert_num_queries, monkeypatch
) -> None:
    def no_iterator(self, *args, **kwargs):
        raise AssertionError("a server-side cursor for a few choices")

    form = CaseFilter(None, user=counselor).form
    monkeypatch.setattr(QuerySet, "iterator", no_iterator)
    with django_assert_num_queries(3):  # municipality, counselor, issue tags
        ours = {name: _choices(form, name) for name in ("municipality", "counselor", "issue_tags")}
    assert 'name="counselor"' in form["counselor"].as_widget()
    assert 'name="issue_tags"' in form["issue_tags"].as_widget()
    monkeypatch.undo()
    assert ours["counselor"][0] == ("", "すべて")
    assert (str(counselor.pk), str(counselor)) in ours["counselor"]
    assert len(ours["issue_tags"]) > 1
    # django-filters' own iterator gives the same choices.
    from django_filters.fields import ModelChoiceIterator

    for name, choices in ours.items():
        field = CaseFilter(None, user=counselor).form.fields[name]
        assert [(str(v), str(label)) for v, label in ModelChoiceIterator(field)] == choices


@pytest.mark.django_db
def test_the_counselor_choices_are_the_user_and_the_active_counselors_of_its_cases(
    counselor, colleague, outsider, muroto, kochi_city
) -> None:
    """Whoever is assigned a case in the user's municipalities, if active; the user always
    (with no case); nobody whose cases are all elsewhere."""
    from tests.conftest import make_user
    from tests.factories import CaseFactory, PersonFactory

    def counselor_choices() -> set[str]:
        form = CaseFilter(None, user=counselor).form
        return {str(label) for value, label in form.fields["counselor"].choices if value}

    assert counselor_choices() == {str(counselor)}
    CaseFactory(person=PersonFactory(municipality=kochi_city), assigned_counselor=colleague)
    CaseFactory(person=PersonFactory(municipality=muroto), assigned_counselor=outsider)
    gone = make_user("gone", User.Role.COUNSELOR, municipalities=[kochi_city])
    CaseFactory(person=PersonFactory(municipality=kochi_city), assigned_counselor=gone)
    gone.is_active = False
    gone.save()
    assert counselor_choices() == {str(counselor), str(colleague)}
