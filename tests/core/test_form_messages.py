"""Plain Japanese on every form: empty choices read 「選択してください」 (or 「すべて」 in a
filter), never Django's 「---------」; required messages name the field."""

import pytest
from django.urls import reverse

from core.forms import JapaneseMessages
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "name", "needs_case"),
    [
        ("counselor", "cases:intake", False),
        ("counselor", "cases:list", False),
        ("counselor", "cases:member_add", True),
        ("counselor", "cases:edit", True),
        ("counselor", "platforms:meeting_list", False),
        ("counselor", "referrals:referral_create", True),
        ("counselor", "referrals:employment_create", True),
        ("admin_user", "audit:list", False),
        ("admin_user", "exports:index", False),
    ],
)
def test_no_django_placeholder_choices(request, login, kochi_city, who, name, needs_case) -> None:
    user = request.getfixturevalue(who)
    args = [CaseFactory(person__municipality=kochi_city).pk] if needs_case else []
    body = login(user).get(reverse(name, args=args)).content.decode()
    assert "---------" not in body
    assert "Select an option" not in body


def test_required_message_names_the_field() -> None:
    from django import forms

    class ReasonForm(JapaneseMessages, forms.Form):
        reason = forms.CharField(label="理由")
        kind = forms.ChoiceField(label="種別", choices=[("", "---------"), ("a", "A")])

    form = ReasonForm(data={})
    assert form.errors["reason"] == ["理由を入力してください。"]
    assert form.errors["kind"] == ["種別を選んでください。"]
    assert form.fields["kind"].choices[0] == ("", "選択してください")


def test_an_unbound_form_gets_what_it_renders_and_a_bound_one_its_messages() -> None:
    """The messages are set on a bound form only (an unbound one never shows one); the empty
    choice reads the same on both."""
    from django import forms

    class LengthForm(JapaneseMessages, forms.Form):
        note = forms.CharField(label="メモ", max_length=5)
        kind = forms.ChoiceField(label="種別", choices=[("", "---------"), ("a", "A")])

    unbound, bound = LengthForm(), LengthForm(data={"note": "長すぎるメモです", "kind": "a"})
    for form in (unbound, bound):
        assert form.fields["kind"].choices[0] == ("", "選択してください")
    assert str(unbound["kind"]) == str(LengthForm()["kind"])
    assert "---------" not in str(unbound["kind"])
    assert bound.errors["note"] == ["メモは5文字以内で入力してください（今は8文字です）。"]
