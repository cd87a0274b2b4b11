"""The dashboard's maintained aggregates (kpi.aggregates) equal a recount of the records.

A seeded random history (creates, edits across 31 March / 1 April, voids, cases opened in
one year and consulted in the next, several municipalities, jurisdictions and prefectures)
is written the way the services write (inside `aggregates.maintain`); then the counters must
equal a recount, and every report read from them the report counted from the records. The
same on PostgreSQL (`DATABASE_URL=postgres://… make test`), where the rebuild is SQL.
"""

import datetime as dt
import random
from typing import Any

import pytest
from django.utils import timezone

from cases.models import Case, CaseStatusChange, Consultation
from core.models import Jurisdiction, Municipality
from kpi import aggregates
from kpi.scopes import Scope, national_scope
from kpi.selectors import Report, kpi_report
from platforms.models import CaseMeeting
from referrals.models import EmploymentOutcome, Referral
from tests.factories import (
    CaseFactory,
    CaseMeetingFactory,
    ConsultationFactory,
    EmploymentOutcomeFactory,
    PersonFactory,
    ReferralFactory,
    ResourceFactory,
    ResourceKindFactory,
)
from tests.kpi.helpers import other_prefecture

DAYS = [
    dt.date(2022, 3, 31),
    dt.date(2022, 4, 1),
    dt.date(2022, 11, 3),
    dt.date(2023, 3, 31),
    dt.date(2023, 4, 1),
    dt.date(2023, 4, 2),
    dt.date(2023, 6, 15),
    dt.date(2023, 12, 15),
    dt.date(2024, 3, 31),
    dt.date(2024, 4, 1),
    dt.date(2024, 5, 20),
]
METHODS = Consultation.Method.values
ROUTES = Case.Route.values


def snapshot(report: Report) -> dict[str, Any]:
    s = report.secondary
    return {
        "indicators": [
            (i.key, i.value, [(p.month, p.added, p.cumulative) for p in i.monthly])
            for i in report.indicators
        ],
        "areas": report.areas,
        "comparison": [(y.fiscal_year, y.values) for y in report.comparison],
        "consultations": s.consultations,
        "meetings": (s.meetings, s.supervised_meetings, s.supervised_municipalities),
        "endings": s.endings,
        "first_year": report.first_year,
        "routes": report.programme.new_cases_by_route if report.programme else None,
        "supported": (
            report.programme.supported_meeting_municipalities,
            [(m.code, m.supported_meetings) for m in report.programme.by_municipality],
        )
        if report.programme
        else None,
    }


def scopes() -> list[Scope]:
    kochi_city = Municipality.objects.get(code="392014")
    return [
        national_scope(),
        Scope(prefecture_code="39"),
        Scope(prefecture_code="36"),
        Scope(
            prefecture_code="39",
            jurisdiction=Jurisdiction.objects.get(pk=kochi_city.jurisdiction_id),
        ),
        Scope(prefecture_code="39", municipality=kochi_city),
        Scope(
            prefecture_code="36",
            municipality=Municipality.objects.filter(prefecture_code="36").first(),
        ),
    ]


def assert_equal_to_recount() -> None:
    assert aggregates.differences() == []
    for scope in scopes():
        for fy, as_of in [
            (2022, None),
            (2023, dt.date(2023, 4, 1)),
            (2023, dt.date(2024, 3, 31)),
            (2024, dt.date(2024, 5, 19)),
        ]:
            kept = kpi_report(fy, scope, as_of, apply_closing=False)
            recount = kpi_report(fy, scope, as_of, apply_closing=False, recount=True)
            assert snapshot(kept) == snapshot(recount), (scope.token, fy, as_of)


class History:
    """Random writes, each inside `aggregates.maintain` for the subjects it touches (what the
    services do), with plain ORM updates for the edits."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.municipalities = (
            list(Municipality.objects.filter(prefecture_code="39").order_by("code")[:6])
            + other_prefecture()
        )
        self.persons = [
            PersonFactory(municipality=self.rng.choice(self.municipalities)) for _ in range(12)
        ]
        kind = ResourceKindFactory()
        other = ResourceKindFactory(code="medical", name_ja="医療機関", counts_as_ibasho=False)
        self.resources = [ResourceFactory(kind=kind), ResourceFactory(kind=other)]

    def day(self, after: dt.date | None = None) -> dt.date:
        days = [d for d in DAYS if after is None or d >= after]
        return self.rng.choice(days)

    def pick(self, model: type[Any], **filters: Any) -> Any:
        rows = list(model.objects.filter(**filters).order_by("pk"))
        return self.rng.choice(rows) if rows else None

    def step(self) -> None:
        rng = self.rng
        action = rng.choice(
            ["case"] * 3 + ["consultation"] * 6 + ["edit"] * 3 + ["void"] * 2
            + ["void_case", "link", "unlink", "restamp", "job", "job_edit", "job_void"]
            + ["meeting", "meeting_edit"] + ["end"] * 2 + ["route"]
        )  # fmt: skip
        if action == "case" or not Case.objects.exists():
            person = rng.choice(self.persons)
            # A person who moved: sometimes a case in another municipality.
            municipality = (
                rng.choice(self.municipalities) if rng.random() < 0.3 else person.municipality
            )
            CaseFactory(person=person, municipality=municipality, intake_date=self.day())
        elif action == "consultation":
            case = self.pick(Case)
            ConsultationFactory(
                case=case, date=self.day(case.intake_date), method=rng.choice(METHODS)
            )
        elif action == "edit":
            row = self.pick(Consultation)
            if row is None:
                return
            with aggregates.maintain(
                persons=[row.case.person_id], parts=[aggregates.CONSULTATIONS]
            ):
                Consultation.objects.filter(pk=row.pk).update(
                    date=self.day(row.case.intake_date), method=rng.choice(METHODS),
                    next_action_date=None,
                )  # fmt: skip
        elif action == "void":
            row = self.pick(Consultation, voided_at__isnull=True)
            if row is None:
                return
            with aggregates.maintain(
                persons=[row.case.person_id], parts=[aggregates.CONSULTATIONS]
            ):
                Consultation.objects.filter(pk=row.pk).update(voided_at=timezone.now())
        elif action == "void_case":
            case = self.pick(Case, voided_at__isnull=True)
            if case is None or rng.random() < 0.5:
                return
            with aggregates.maintain(persons=aggregates.persons_of_case(case)):
                Case.objects.filter(pk=case.pk).update(voided_at=timezone.now())
        elif action == "link":
            case = self.pick(Case)
            resource = rng.choice(self.resources)
            if Referral.objects.open().filter(case=case, resource=resource).exists():
                return
            on = self.day(case.intake_date)
            ReferralFactory(
                case=case, resource=resource, proposed_on=case.intake_date,
                status=Referral.Status.CONNECTED, connected_on=on,
            )  # fmt: skip
        elif action == "unlink":
            row = self.pick(Referral, connected_on__isnull=False)
            if row is None:
                return
            with aggregates.maintain(persons=[row.case.person_id], parts=[aggregates.REFERRALS]):
                Referral.objects.filter(pk=row.pk).update(
                    status=Referral.Status.PROPOSED, connected_on=None
                )
        elif action == "restamp":
            row = self.pick(Referral, connected_on__isnull=False)
            if row is None:
                return
            with aggregates.maintain(persons=[row.case.person_id], parts=[aggregates.REFERRALS]):
                Referral.objects.filter(pk=row.pk).update(
                    counted_as_ibasho=not row.counted_as_ibasho
                )
        elif action == "job":
            case = self.pick(Case)
            EmploymentOutcomeFactory(
                case=case, person=case.person, started_on=self.day(case.intake_date),
                after_intermediate=rng.random() < 0.7,
            )  # fmt: skip
        elif action == "job_edit":
            row = self.pick(EmploymentOutcome)
            if row is None:
                return
            with aggregates.maintain(persons=[row.person_id], parts=[aggregates.EMPLOYMENT]):
                EmploymentOutcome.objects.filter(pk=row.pk).update(
                    started_on=self.day(row.case.intake_date)
                )
        elif action == "job_void":
            row = self.pick(EmploymentOutcome, voided_at__isnull=True)
            if row is None:
                return
            with aggregates.maintain(persons=[row.person_id], parts=[aggregates.EMPLOYMENT]):
                EmploymentOutcome.objects.filter(pk=row.pk).update(voided_at=timezone.now())
        elif action == "meeting":
            CaseMeetingFactory(
                municipality=rng.choice(self.municipalities), held_on=self.day(),
                supervision=rng.choice(CaseMeeting.Supervision.values),
            )  # fmt: skip
        elif action == "end":
            # 終結・中断 (a case may end twice: closed, reopened, closed again), sometimes
            # without a category (未分類), sometimes a reopening (counted nowhere).
            case = self.pick(Case)
            with aggregates.maintain(persons=[case.person_id], parts=[aggregates.STATUSES]):
                CaseStatusChange.objects.create(
                    case=case, from_status=Case.Status.ACTIVE,
                    to_status=rng.choice([*Case.CLOSED_STATUSES, Case.Status.ACTIVE]),
                    changed_on=self.day(case.intake_date),
                    end_reason=rng.choice(["", *Case.EndReason.values]),
                )  # fmt: skip
        elif action == "route":
            case = self.pick(Case)
            with aggregates.maintain(persons=[case.person_id], parts=[aggregates.CASES]):
                Case.objects.filter(pk=case.pk).update(intake_route=rng.choice(ROUTES))
        elif action == "meeting_edit":
            row = self.pick(CaseMeeting)
            if row is None:
                return
            with aggregates.maintain(municipalities=[row.municipality_id]):
                CaseMeeting.objects.filter(pk=row.pk).update(
                    held_on=self.day(), supervision=rng.choice(CaseMeeting.Supervision.values)
                )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_maintained_aggregates_equal_a_recount_of_random_history(kochi, seed) -> None:
    history = History(seed)
    for n in range(160):
        history.step()
        if n in (40, 100):
            assert aggregates.differences() == []
    assert Consultation.objects.filter(voided_at__isnull=False).exists()
    assert CaseStatusChange.objects.filter(to_status__in=Case.CLOSED_STATUSES).exists()
    assert_equal_to_recount()
    # A rebuild (SQL on PostgreSQL) gives the same counters.
    aggregates.rebuild()
    assert aggregates.differences() == []


def test_rebuild_repairs_counters_a_bare_update_left_behind(kochi) -> None:
    case = CaseFactory(intake_date=dt.date(2023, 4, 1))
    consultation = ConsultationFactory(case=case)
    Consultation.objects.filter(pk=consultation.pk).update(date=dt.date(2024, 4, 1))
    assert aggregates.differences() != []
    aggregates.rebuild()
    assert aggregates.differences() == []


def test_nested_blocks_count_once(kochi) -> None:
    case = CaseFactory(intake_date=dt.date(2023, 4, 1))
    with aggregates.maintain(persons=[case.person_id]):
        with aggregates.maintain(persons=[case.person_id], parts=[aggregates.CONSULTATIONS]):
            ConsultationFactory(case=case)
        ConsultationFactory(case=case, date=dt.date(2023, 5, 1))
    assert aggregates.differences() == []
    assert (
        kpi_report(
            2023, Scope(prefecture_code="39"), dt.date(2024, 3, 31)
        ).secondary.consultations.contacts
        == 2
    )


def test_a_failed_write_moves_no_counter(kochi) -> None:
    case = CaseFactory(intake_date=dt.date(2023, 4, 1))
    with pytest.raises(RuntimeError), aggregates.maintain(persons=[case.person_id]):
        ConsultationFactory(case=case)
        raise RuntimeError
    assert aggregates.differences() == []
    assert not Consultation.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_person", [False, True])
def test_two_counselors_saving_at_once_lose_no_count(kochi, monkeypatch, same_person) -> None:
    """On PostgreSQL: two threads, two connections, each recording a consultation of the same
    day and municipality. Different persons: both reach the counters' upsert together (a
    barrier), so one increment lands on a row the other is changing. The same person: the
    second waits for the first's lock on the person, then counts from what it saved. On
    SQLite (one writer at a time) the two run one after the other."""
    import threading

    from django.db import connection

    first = CaseFactory(intake_date=dt.date(2023, 4, 1))
    second = first if same_person else CaseFactory(intake_date=dt.date(2023, 4, 1))
    postgresql = connection.vendor == "postgresql"
    barrier = threading.Barrier(2, timeout=20)
    original_add = aggregates.add

    def add_together(delta):
        if postgresql and not same_person:
            barrier.wait()
        elif postgresql:
            threading.Event().wait(0.3)  # hold the person's lock while the other arrives
        original_add(delta)

    monkeypatch.setattr(aggregates, "add", add_together)
    errors: list[BaseException] = []

    def record(case: Case) -> None:
        try:
            ConsultationFactory(case=case, date=dt.date(2023, 5, 1))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            if postgresql:
                connection.close()

    if postgresql:
        threads = [threading.Thread(target=record, args=(case,)) for case in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    else:
        record(first)
        record(second)
    assert errors == []
    monkeypatch.setattr(aggregates, "add", original_add)
    assert aggregates.differences() == []
    figures = kpi_report(2023, Scope(prefecture_code="39"), dt.date(2024, 3, 31)).secondary
    assert (figures.consultations.contacts, figures.consultations.persons) == (
        2,
        1 if same_person else 2,
    )


def test_every_figure_name_fits_its_column() -> None:
    """Figure names are built from choice values (methods, routes, end reasons): a longer
    value added to a choice list must not be cut by the column."""
    F = aggregates.F
    limit = aggregates.Tally._meta.get_field("figure").max_length
    names = [
        *(F.contacts(m, new) for m in METHODS for new in (True, False)),
        *(F.persons_by(m) for m in METHODS),
        *(F.route(r) for r in ROUTES),
        *(F.ending(reason, status) for reason in ["", *Case.EndReason.values]
          for status in Case.CLOSED_STATUSES),
    ]  # fmt: skip
    assert max(len(name) for name in names) <= limit


def _counted_before(parts: list[str], *, months: bool) -> None:
    """The counters of an installation counted before `parts` (and, with `months`, the month
    sums) existed: everything counted and marked, then those figures and marks taken away."""
    from kpi.models import Tally, TallyBuilt

    aggregates.rebuild()
    for part in parts:
        Tally.objects.filter(aggregates._figures_of([part])).delete()
        TallyBuilt.objects.filter(name=f"part:{part}").delete()
    if months:
        Tally.objects.filter(area__startswith=aggregates.MONTHS).delete()
        TallyBuilt.objects.filter(name="months").delete()


def test_migrate_rebuilds_only_the_parts_counted_since(kochi) -> None:
    """An installation counted before the end reasons and routes were: `make migrate`'s
    `kpi_aggregates --rebuild-if-empty` rebuilds those parts alone and leaves the others'
    counters as they are (a full rebuild at national scale takes minutes)."""
    from django.core.management import call_command

    from kpi.models import Tally

    history = History(4)
    for _ in range(60):
        history.step()
    case = CaseFactory(intake_date=dt.date(2023, 5, 1))
    with aggregates.maintain(persons=[case.person_id], parts=[aggregates.STATUSES]):
        CaseStatusChange.objects.create(
            case=case, from_status=Case.Status.ACTIVE, to_status=Case.Status.CLOSED,
            changed_on=dt.date(2023, 6, 1), end_reason=Case.EndReason.MOVED,
        )  # fmt: skip
    aggregates.rebuild()
    assert aggregates.missing_parts() == []
    _counted_before([aggregates.CASES, aggregates.STATUSES], months=False)
    # A counter of another part, wrong on purpose: a part's rebuild does not touch it.
    Tally.objects.filter(figure=aggregates.F.MEETINGS).update(n=99)
    assert aggregates.missing_parts() == [aggregates.CASES, aggregates.STATUSES]

    call_command("kpi_aggregates", "--rebuild-if-empty")

    assert aggregates.missing_parts() == []
    assert {figure for (_a, figure, _d), *_ in aggregates.differences()} == {aggregates.F.MEETINGS}
    aggregates.rebuild()
    assert aggregates.differences() == []


def test_migrate_adds_the_month_counters_to_day_counters_kept_without_them(kochi) -> None:
    """Counted before the month rows: `--rebuild-if-empty` adds them up from the days, and
    the reports read the same as a recount."""
    from django.core.management import call_command

    history = History(5)
    for _ in range(60):
        history.step()
    _counted_before([], months=True)
    assert aggregates.months_missing()
    assert aggregates.differences() != []

    call_command("kpi_aggregates", "--rebuild-if-empty")

    assert not aggregates.months_missing()
    assert_equal_to_recount()


def test_a_write_before_the_backfill_does_not_stop_it(kochi) -> None:
    """The upgrade's window: new code serves a close (its delta and that delta's month rows)
    before `--rebuild-if-empty` ran. The backfill must still count the earlier closes and
    every earlier month: what was counted is marked (`TallyBuilt`), not guessed from rows."""
    from django.core.management import call_command

    history = History(6)
    for _ in range(60):
        history.step()
    closed = CaseFactory(intake_date=dt.date(2023, 5, 1))
    with aggregates.maintain(persons=[closed.person_id], parts=[aggregates.STATUSES]):
        CaseStatusChange.objects.create(
            case=closed, from_status=Case.Status.ACTIVE, to_status=Case.Status.CLOSED,
            changed_on=dt.date(2023, 6, 1), end_reason=Case.EndReason.MOVED,
        )  # fmt: skip
    _counted_before([aggregates.STATUSES], months=True)
    case = CaseFactory(intake_date=dt.date(2023, 5, 2))
    with aggregates.maintain(persons=[case.person_id], parts=[aggregates.STATUSES]):
        CaseStatusChange.objects.create(
            case=case, from_status=Case.Status.ACTIVE, to_status=Case.Status.SUSPENDED,
            changed_on=dt.date(2023, 7, 1), end_reason=Case.EndReason.OTHER,
        )  # fmt: skip
    assert aggregates.missing_parts() == [aggregates.STATUSES]
    assert aggregates.months_missing()

    call_command("kpi_aggregates", "--rebuild-if-empty")

    assert aggregates.differences() == []
    assert aggregates.missing_parts() == [] and not aggregates.months_missing()


def test_a_part_without_records_is_counted_once(kochi) -> None:
    """No closes yet: the first rebuild marks the part counted, so a later migrate does not
    rebuild it again (nor write an audit row saying so)."""
    CaseFactory(intake_date=dt.date(2023, 5, 1))
    assert not CaseStatusChange.objects.exists()
    aggregates.rebuild()
    assert aggregates.missing_parts() == []
    assert not aggregates.months_missing()


def test_a_period_is_read_from_its_months_and_the_days_of_its_last_month(kochi) -> None:
    """Whole months from the month rows, the month of the end date from its days, nothing
    for a period ending before it starts."""
    for day in [
        dt.date(2023, 3, 15),  # the year before: in the days of no period below
        dt.date(2023, 4, 1),
        dt.date(2023, 5, 31),
        dt.date(2023, 6, 1),
        dt.date(2023, 6, 2),
    ]:
        CaseFactory(intake_date=day, municipality=Municipality.objects.get(code="392014"))
    k1 = aggregates.F.K1

    def read(end: dt.date) -> dict[dt.date, int]:
        return aggregates.monthly("p39", [(dt.date(2023, 4, 1), end, [k1])]).get(k1, {})

    assert read(dt.date(2023, 6, 1)) == {
        dt.date(2023, 4, 1): 1, dt.date(2023, 5, 1): 1, dt.date(2023, 6, 1): 1,
    }  # fmt: skip
    assert read(dt.date(2023, 5, 31)) == {dt.date(2023, 4, 1): 1, dt.date(2023, 5, 1): 1}
    assert read(dt.date(2023, 3, 20)) == {}
