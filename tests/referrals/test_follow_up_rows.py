"""The follow-up lists' rows rendered in Python (`{% stuck_row %}`, `{% quiet_row %}`,
referrals/templatetags/referrals_tags.py) are their templates,
referrals/_follow_up_stuck_row.html and _follow_up_quiet_row.html, byte for byte: mine and
not, every person shape, with and without a note, in both languages and both date styles."""

import datetime as dt
import itertools

from django.template import Context, Template
from django.template.loader import get_template
from django.utils import timezone, translation

from core.dates import WAREKI, WESTERN
from referrals.selectors import quiet_connected, stuck_arranging
from tests.cases.test_case_row import PEOPLE, use_style
from tests.factories import CaseFactory, ReferralFactory, ResourceFactory

TODAY = timezone.localdate()


def _compare(tag: str, template_name: str, rows: list) -> int:
    template = get_template(template_name)
    ours = Template(f"{{% load referrals_tags %}}{{% {tag} r %}}")
    compared = 0
    for r, language, style, shape in itertools.product(
        rows, ("ja", "en"), (WAREKI, WESTERN), PEOPLE
    ):
        for attr, value in shape.items():
            setattr(r.case.person, attr, value)
        with translation.override(language), use_style(style):
            expected = template.render({"r": r})
            got = ours.render(Context({"r": r}))
        assert got == expected, (tag, r.pk, language, style, shape)
        compared += 1
    return compared


def test_follow_up_rows_render_as_their_templates(counselor, colleague, ibasho) -> None:
    mine = CaseFactory(intake_date=TODAY - dt.timedelta(days=400), assigned_counselor=counselor)
    theirs = CaseFactory(intake_date=TODAY - dt.timedelta(days=400), assigned_counselor=colleague)
    theirs.number = "<b>\"&'"
    theirs.save()
    tricky = ResourceFactory(kind=ibasho.kind, name='居場所 <&> "す"')
    for case, resource in ((mine, ibasho), (theirs, tricky)):
        ReferralFactory(case=case, resource=resource, proposed_on=TODAY - dt.timedelta(days=60),
                        status="arranging", arranging_on=TODAY - dt.timedelta(days=45))  # fmt: skip
        other = ResourceFactory(kind=ibasho.kind, name=f"{resource.name}・別")
        ReferralFactory(case=case, resource=other, status="connected",
                        proposed_on=TODAY - dt.timedelta(days=200),
                        connected_on=TODAY - dt.timedelta(days=150))  # fmt: skip
    stuck = list(stuck_arranging(counselor))
    quiet = list(quiet_connected(counselor))
    assert [r.is_mine for r in stuck] == [0, 1] and [r.is_mine for r in quiet] == [0, 1]
    quiet[1].last_note_on = TODAY - dt.timedelta(days=100)  # a note long ago, and none
    n = 2 * 2 * 2 * len(PEOPLE)
    assert _compare("stuck_row", "referrals/_follow_up_stuck_row.html", stuck) == n
    assert _compare("quiet_row", "referrals/_follow_up_quiet_row.html", quiet) == n
