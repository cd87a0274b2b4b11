"""factory_boy factories. Municipalities come from the loaded Kochi reference data."""

import datetime as dt

import factory

from cases.kana import kana_key
from cases.models import Case, Consultation, HouseholdMember, Person
from core.fiscal import fiscal_year
from core.models import Municipality
from platforms.models import Agency, CaseMeeting, FollowUpAction, MunicipalStatus, Platform
from referrals.models import EmploymentOutcome, Referral, Resource, ResourceKind


def kochi_city() -> Municipality:
    return Municipality.objects.get(code="392014")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    municipality = factory.LazyFunction(kochi_city)
    name = factory.Sequence(lambda n: f"高知 太郎{n}")
    kana = factory.Sequence(lambda n: f"こうち たろう{n}")
    kana_key = factory.LazyAttribute(lambda o: kana_key(o.kana))
    birth_year = 1985


class CaseFactory(factory.django.DjangoModelFactory):
    """A case with a number, as `case_open` would give it (tests only: no locking)."""

    class Meta:
        model = Case

    person = factory.SubFactory(PersonFactory)
    municipality = factory.LazyAttribute(lambda o: o.person.municipality)
    intake_date = dt.date(2023, 6, 1)
    fiscal_year = factory.LazyAttribute(lambda o: fiscal_year(o.intake_date))
    sequence = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(
        lambda o: f"{o.municipality.name_ja}-T{o.fiscal_year}-{o.sequence:05d}"
    )
    intake_route = Case.Route.FAMILY
    visitor = Case.Visitor.FAMILY
    status = Case.Status.ACTIVE
    status_changed_on = factory.LazyAttribute(lambda o: o.intake_date)
    # A closing date exactly when closed or suspended (the database insists).
    closed_on = factory.LazyAttribute(
        lambda o: o.status_changed_on if o.status in Case.CLOSED_STATUSES else None
    )


class ConsultationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consultation

    case = factory.SubFactory(CaseFactory)
    date = factory.LazyAttribute(lambda o: o.case.intake_date)
    method = Consultation.Method.PHONE
    with_whom = Consultation.WithWhom.FAMILY
    duration_minutes = 30
    notes = "母親から電話。本人は自室にいることが多い。"


class HouseholdMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdMember

    household = None  # pass one: HouseholdMemberFactory(household=person.household)
    relationship = HouseholdMember.Relationship.MOTHER
    age_band = "80+"
    needs_care = True


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"テスト社会福祉協議会{n}")
    kind = Agency.Kind.SOCIAL_WELFARE_COUNCIL
    municipality = factory.LazyFunction(kochi_city)
    prefecture_code = "39"


class CaseMeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseMeeting

    municipality = factory.LazyFunction(kochi_city)
    held_on = dt.date(2023, 7, 1)
    kind = CaseMeeting.Kind.INDIVIDUAL
    decisions = "月1回の訪問を継続する。"
    minutes = "（秘）母親の体調が悪化している。"


class FollowUpActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FollowUpAction

    meeting = factory.SubFactory(CaseMeetingFactory)
    description = "家庭訪問の日程を調整する"
    due_on = factory.LazyAttribute(lambda o: o.meeting.held_on + dt.timedelta(days=14))


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform

    municipality = factory.LazyFunction(kochi_city)
    status = Platform.Status.ESTABLISHED
    established_on = dt.date(2021, 6, 1)


class MunicipalStatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MunicipalStatus

    municipality = factory.LazyFunction(kochi_city)
    fiscal_year = 2023
    needs_assessed_on = dt.date(2023, 7, 1)


class ResourceKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResourceKind
        django_get_or_create = ("code",)

    code = "ibasho"
    name_ja = "居場所"
    counts_as_ibasho = True


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    name = factory.Sequence(lambda n: f"テストの居場所{n}")
    kind = factory.SubFactory(ResourceKindFactory)
    operator_type = Resource.Operator.NPO
    prefecture_code = "39"
    municipality = factory.LazyFunction(kochi_city)


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    case = factory.SubFactory(CaseFactory)
    resource = factory.SubFactory(ResourceFactory)
    proposed_on = factory.LazyAttribute(lambda o: o.case.intake_date)
    connected_on = None
    # What referral_connect stamps on a connection: the kind's flags (no history in tests
    # unless a test records a change).
    counted_as_ibasho = factory.LazyAttribute(
        lambda o: bool(o.connected_on) and o.resource.kind.counts_as_ibasho
    )
    counted_as_work_training = factory.LazyAttribute(
        lambda o: bool(o.connected_on) and o.resource.kind.is_work_training
    )


class EmploymentOutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmploymentOutcome

    case = factory.SubFactory(CaseFactory)
    person = factory.LazyAttribute(lambda o: o.case.person)
    started_on = dt.date(2023, 10, 1)
    employment_type = EmploymentOutcome.EmploymentType.PART_TIME
    after_intermediate = False
    # An automatic "yes" must name its work-training referral (a DB constraint); a factory
    # "yes" without one is a manual judgement with a reason.
    after_intermediate_source = factory.LazyAttribute(
        lambda o: "manual" if o.after_intermediate and not o.basis_referral else "auto"
    )
    manual_reason = factory.LazyAttribute(
        lambda o: "テスト: システム外の就労訓練" if o.after_intermediate_source == "manual" else ""
    )
    basis_referral = None


# --- casework ---------------------------------------------------------------------------------


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "casework.Assessment"

    case = factory.SubFactory(CaseFactory)
    assessed_on = factory.LazyAttribute(lambda o: o.case.intake_date)
    urgency = "medium"
    summary = "母と二人暮らし。昼夜逆転。"


class SupportPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "casework.SupportPlan"

    case = factory.SubFactory(CaseFactory)
    number = 1
    drafted_on = factory.LazyAttribute(lambda o: o.case.intake_date + dt.timedelta(days=14))
    next_review_on = factory.LazyAttribute(lambda o: o.drafted_on + dt.timedelta(days=90))
    policy = "家族支援から始め、本人との面談を目指す。"


class PlanGoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "casework.PlanGoal"

    plan = factory.SubFactory(SupportPlanFactory)
    term = "short"
    goal = "週1回、居場所に通う"
    starts_on = factory.LazyAttribute(lambda o: o.plan.drafted_on)
    ends_on = factory.LazyAttribute(lambda o: o.plan.next_review_on)


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "casework.Consent"

    case = factory.SubFactory(CaseFactory)
    given_by = "person"
    method = "written"
    agency_kinds = ["shakyo"]
    valid_from = factory.LazyAttribute(lambda o: o.case.intake_date)
