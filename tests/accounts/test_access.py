"""The access layer (accounts/access.py): the inverse scope query agrees with the forward one;
"who may be assigned here" is answered once (finding 10); refusals are audited."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from accounts import access, scope
from accounts.models import User
from audit.models import AuditEvent
from cases.models import Case
from cases.selectors import deny, get_case_for_user
from core.models import Municipality
from tests.cases.test_views_intake import intake_data
from tests.conftest import make_user
from tests.factories import CaseFactory, CaseMeetingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(counselor, outsider, aki_counselor, center, prefecture_staff, admin_user):
    national_center = make_user("national-center", User.Role.CENTER, prefecture_code="")
    other_center = make_user("tokyo-center", User.Role.CENTER, prefecture_code="13")
    inactive = make_user("gone", User.Role.CENTER)
    inactive.is_active = False
    inactive.save()
    return [counselor, outsider, aki_counselor, center, prefecture_staff, admin_user,
            national_center, other_center, inactive]  # fmt: skip


def test_the_inverse_query_agrees_with_the_scope(people) -> None:
    for municipality in Municipality.objects.filter(code__in=["392014", "392022", "392031"]):
        inverse = set(access.users_with_personal_scope(municipality))
        forward = {u for u in people if scope.can_see_municipality(u, municipality.pk)}
        assert inverse & set(people) == forward, municipality.name_ja


def test_another_prefectures_centre_cannot_be_assigned(login, counselor, kochi_city) -> None:
    tokyo = make_user("tokyo-center", User.Role.CENTER, prefecture_code="13")
    client = login(counselor)
    form = client.get(reverse("cases:intake")).context["form"]
    assert tokyo not in form.fields["assigned_counselor"].queryset
    data = intake_data(kochi_city, assigned_counselor=tokyo.pk)
    response = client.post(reverse("cases:intake"), data)
    assert response.status_code == 200
    assert not Case.objects.exists()


def test_a_counselor_of_another_municipality_cannot_be_assigned_in_mine(
    login, aki_counselor, outsider
) -> None:
    # The 安芸 counselor sees 室戸市 and 安芸市; the 室戸 counselor may take 室戸市 cases only.
    aki = Municipality.objects.get(code="392031")
    client = login(aki_counselor)
    response = client.post(
        reverse("cases:intake"), intake_data(aki, assigned_counselor=outsider.pk)
    )
    assert response.status_code == 200
    assert "この市町村のケースを担当できない人です" in response.content.decode()
    assert not Case.objects.exists()


def test_a_case_edit_cannot_assign_another_prefectures_centre(counselor) -> None:
    from cases.services import assignment_errors

    tokyo = make_user("tokyo-center", User.Role.CENTER, prefecture_code="13")
    case = CaseFactory()
    assert assignment_errors(counselor, tokyo, case.municipality)
    kochi_center = make_user("kochi-center", User.Role.CENTER)
    assert not assignment_errors(counselor, kochi_center, case.municipality)


def test_follow_up_owners_come_from_the_same_query(kochi_city, counselor, center) -> None:
    from platforms.selectors import action_owner_choices

    tokyo = make_user("tokyo-center", User.Role.CENTER, prefecture_code="13")
    owners = set(action_owner_choices(kochi_city))
    assert owners == set(access.assignable_users(kochi_city))
    assert counselor in owners and center in owners and tokyo not in owners


def test_get_for_user_404s_and_audits_outside_the_scope(outsider, counselor) -> None:
    case = CaseFactory()
    request = RequestFactory().get("/")
    request.user = outsider
    with pytest.raises(Http404):
        access.get_for_user(Case.objects.all(), outsider, case.pk, request=request)
    [event] = AuditEvent.objects.filter(user=outsider, action="denied")
    assert (event.object_type, event.object_id) == ("cases.case", str(case.pk))
    assert access.get_for_user(Case.objects.all(), counselor, case.pk) == case


def test_the_old_names_still_work(outsider, counselor) -> None:
    case = CaseFactory()
    assert get_case_for_user(counselor, case.pk) == case
    with pytest.raises(Http404):
        get_case_for_user(outsider, case.pk)
    assert isinstance(deny(None, user=outsider, object_type="x", object_id=1), Http404)
    assert deny is access.deny


def test_the_decorators_audit_every_refusal(prefecture_staff, counselor) -> None:
    @access.personal_data_view
    def personal(request):
        return "ok"

    @access.admin_view
    def admin_only(request):
        return "ok"

    factory = RequestFactory()
    for view, user in ((personal, prefecture_staff), (admin_only, counselor)):
        request = factory.get("/x/")
        request.user = user
        with pytest.raises(PermissionDenied):
            view(request)
    assert AuditEvent.objects.filter(action="denied").count() == 2


def test_scoped_querysets_share_one_base() -> None:
    from cases.models import Consultation, Person
    from platforms.models import CaseMeeting, FollowUpAction
    from referrals.models import EmploymentOutcome, Referral

    for model in (Case, Consultation, Person, CaseMeeting, FollowUpAction, Referral,
                  EmploymentOutcome):  # fmt: skip
        assert isinstance(model.objects.all(), access.ScopedQuerySet), model


def test_every_in_scope_queryset_is_the_access_layers() -> None:
    """Every model that answers `in_scope` does so through access.ScopedQuerySet, with its
    rule in `scope_path` only: no app writes its own copy of the filter."""
    from django.apps import apps

    scoped = {
        model._meta.label: type(model._default_manager.all())
        for model in apps.get_models()
        if hasattr(model._default_manager.all(), "in_scope")
    }
    assert {"casework.Assessment", "programme.SurveyEntry", "programme.SupervisionRequest"} <= set(
        scoped
    )
    assert [
        label for label, qs in scoped.items() if not issubclass(qs, access.ScopedQuerySet)
    ] == []
    own_rule = [
        (label, klass.__name__)
        for label, qs in scoped.items()
        for klass in qs.__mro__
        if klass is not access.ScopedQuerySet
        and ({"in_scope", "in_municipalities"} & set(vars(klass)))
    ]
    assert own_rule == []
    case_children = {label for label, qs in scoped.items() if qs.scope_path == "case__municipality"}
    assert all(issubclass(scoped[label], access.CaseChildQuerySet) for label in case_children)


def test_a_follow_up_outside_the_scope_is_a_404(login, outsider) -> None:
    from tests.factories import FollowUpActionFactory

    action = FollowUpActionFactory(meeting=CaseMeetingFactory())
    response = login(outsider).post(reverse("platforms:action_complete", args=[action.pk]))
    assert response.status_code == 404
