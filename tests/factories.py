"""factory_boy factories. Municipalities come from the loaded Kochi reference data."""

import datetime as dt

import factory

from cases.kana import kana_key, name_key
from cases.models import Case, Consultation, HouseholdMember, Person
from core.fiscal import fiscal_year
from core.models import Municipality
from kpi import aggregates
from platforms.models import Agency, CaseMeeting, FollowUpAction, MunicipalStatus, Platform
from programme.models import PlaceSupport, SupervisionRequest, SurveyEntry, TrainingEvent
from referrals.models import EmploymentOutcome, Referral, Resource, ResourceKind


class Counted(factory.django.DjangoModelFactory):
    """Creates its row as a service would: inside `kpi.aggregates.maintain`, so that the
    dashboard's maintained counters count it (tests that change rows with a bare
    `.update()` rebuild them with `aggregates.rebuild()`)."""

    class Meta:
        abstract = True

    @classmethod
    def _subjects(cls, kwargs: dict) -> dict:
        raise NotImplementedError

    @staticmethod
    def _pk(kwargs: dict, name: str):
        """The id of a foreign key given as an object (`case=`) or an id (`case_id=`)."""
        if kwargs.get(f"{name}_id") is not None:  # given next to the factory's default object
            return kwargs[f"{name}_id"]
        return kwargs[name].pk

    @classmethod
    def _person_of_case(cls, kwargs: dict):
        if kwargs.get("case_id") is not None:
            return Case.objects.values_list("person_id", flat=True).get(pk=kwargs["case_id"])
        return kwargs["case"].person_id

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with aggregates.maintain(**cls._subjects(kwargs)):
            return super()._create(model_class, *args, **kwargs)


def kochi_city() -> Municipality:
    return Municipality.objects.get(code="392014")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    municipality = factory.LazyFunction(kochi_city)
    name = factory.Sequence(lambda n: f"高知 太郎{n}")
    kana = factory.Sequence(lambda n: f"こうち たろう{n}")
    kana_key = factory.LazyAttribute(lambda o: kana_key(o.kana))
    name_key = factory.LazyAttribute(lambda o: name_key(o.name))
    birth_year = 1985


class CaseFactory(Counted):
    """A case with a number, as `case_open` would give it (tests only: no locking)."""

    class Meta:
        model = Case

    @classmethod
    def _subjects(cls, kwargs: dict) -> dict:
        return {"persons": [cls._pk(kwargs, "person")], "parts": [aggregates.CASES]}

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


class ConsultationFactory(Counted):
    class Meta:
        model = Consultation

    @classmethod
    def _subjects(cls, kwargs: dict) -> dict:
        return {"persons": [cls._person_of_case(kwargs)], "parts": [aggregates.CONSULTATIONS]}

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


class CaseMeetingFactory(Counted):
    class Meta:
        model = CaseMeeting

    @classmethod
    def _subjects(cls, kwargs: dict) -> dict:
        return {"municipalities": [cls._pk(kwargs, "municipality")], "parts": []}

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


class ReferralFactory(Counted):
    class Meta:
        model = Referral

    @classmethod
    def _subjects(cls, kwargs: dict) -> dict:
        return {"persons": [cls._person_of_case(kwargs)], "parts": [aggregates.REFERRALS]}

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


class EmploymentOutcomeFactory(Counted):
    class Meta:
        model = EmploymentOutcome

    @classmethod
    def _subjects(cls, kwargs: dict) -> dict:
        return {"persons": [cls._pk(kwargs, "person")], "parts": [aggregates.EMPLOYMENT]}

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


class PlaceSupportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlaceSupport

    resource = factory.SubFactory(ResourceFactory)
    starts_on = dt.date(2019, 4, 1)


class SurveyEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyEntry

    municipality = factory.LazyFunction(kochi_city)
    reported_on = dt.date(2023, 6, 1)
    reporter = SurveyEntry.Reporter.WELFARE_VOLUNTEER
    name = factory.Sequence(lambda n: f"名簿 太郎{n}")


class SupervisionRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionRequest

    meeting = factory.SubFactory(CaseMeetingFactory)
    municipality = factory.LazyAttribute(lambda o: o.meeting.municipality)
    requested_on = factory.LazyAttribute(lambda o: o.meeting.held_on - dt.timedelta(days=7))
    question = "支援方針について相談したい（秘）"


class TrainingEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingEvent

    prefecture_code = "39"
    title = factory.Sequence(lambda n: f"研修会{n}")
    kind = TrainingEvent.Kind.TRAINING
    held_on = dt.date(2023, 7, 1)
    jurisdiction = factory.LazyFunction(lambda: kochi_city().jurisdiction)
    organiser = "ひきこもり地域支援センター"
    audience = TrainingEvent.Audience.MUNICIPAL_STAFF


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
