"""Writing a checked ledger: every row in one transaction (all or nothing), in bulk.

The rows are written with bulk inserts (persons, households, cases, status changes,
consultations and one audit row for each, as intake and recording write them one by one).
Case numbers are the exception: a municipality's numbers are allocated under its row lock
(`cases.services._next_sequence`), and holding that lock through a 20,000-row import would
stop every other counselor's intake in the municipality. So the cases are inserted with
temporary numbers (`TEMP_SEQUENCE_BASE` + the person's id: unique, and above any real
sequence) and numbered in the last step, under the lock, just before the commit.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts import scope
from accounts.types import User
from audit.models import AuditEvent
from audit.services import Action, audit_event, audit_record
from cases import rules as case_rules
from cases import services as case_services
from cases.models import Case, CaseStatusChange, Consultation, Household, Person
from core.fiscal import fiscal_year
from core.models import Municipality
from exports.ledger import (
    LedgerRow,
    ParsedLedger,
    _already_imported,
    _consultation_input,
    _groups,
)
from exports.models import ImportBatch
from kpi import aggregates

TEMP_SEQUENCE_BASE = 1_000_000_000
BATCH = 1000
CHUNK = 5000

CASE_FIELDS = [
    "number", "municipality", "intake_date", "intake_route", "visitor", "person",
    "age_band_at_intake", "withdrawal_duration", "assigned_counselor", "status",
]  # fmt: skip


def _chunks[T](items: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _consultation(case: Case, row: LedgerRow, user: User, *, first: bool) -> Consultation:
    data = asdict(_consultation_input(row.values))
    if first:
        data["date"] = case.intake_date
    return Consultation(case=case, recorded_by=user, submission_token=row.token, **data)


def _consultation_fields(record: Consultation) -> list[str]:
    return [
        name
        for name in case_rules.ConsultationInput.__dataclass_fields__
        if getattr(record, name) not in ("", None)
    ]


def _number(cases: Iterable[Case]) -> None:
    """Give the new cases their real numbers: lock their municipalities, continue from each
    (municipality, fiscal year)'s highest committed number. Held only until the commit."""
    cases = list(cases)
    municipality_ids = sorted({c.municipality_id for c in cases})
    municipalities = {
        m.pk: m
        # FOR NO KEY UPDATE, as intake's numbering (cases.services._next_sequence).
        for m in Municipality.objects.select_for_update(no_key=True)
        .filter(pk__in=municipality_ids)
        .order_by("pk")
    }
    highest = {
        (r["municipality_id"], r["fiscal_year"]): r["m"]
        for r in Case.objects.filter(
            municipality_id__in=municipality_ids, sequence__lt=TEMP_SEQUENCE_BASE
        )
        .values("municipality_id", "fiscal_year")
        .annotate(m=Max("sequence"))
    }
    for case in sorted(cases, key=lambda c: (c.intake_date, c.pk)):
        key = (case.municipality_id, case.fiscal_year)
        highest[key] = (highest.get(key) or 0) + 1
        case.sequence = highest[key]
        case.number = case_services.case_number(
            municipalities[case.municipality_id], case.fiscal_year, case.sequence
        )
    Case.objects.bulk_update(cases, ["sequence", "number"], batch_size=500)


@transaction.atomic
@aggregates.maintained
def ledger_import(
    *,
    user: User,
    parsed: ParsedLedger,
    file_name: str,
    digest: str,
    request: Any = None,
    progress: Callable[[int], None] | None = None,
) -> ImportBatch:
    """Write every row in one transaction: all or nothing. Rows seen before are skipped."""
    if not scope.can_see_personal_data(user):
        raise PermissionDenied
    if not parsed.ok:
        raise ValidationError(_("エラーのある行があるため、取り込めません。"))
    allowed = set(scope.personal_municipalities(user).values_list("pk", flat=True))
    # Spreadsheet row → case, for rows imported before (into the row's own municipality).
    existing = _already_imported(parsed.rows)
    groups = list(_groups(parsed.rows).values())
    known_cases = Case.objects.in_bulk({existing[g[0].row] for g in groups if g[0].row in existing})

    new_groups = [g for g in groups if g[0].row not in existing]
    for group in new_groups:
        if group[0].municipality is None or group[0].municipality.pk not in allowed:
            raise PermissionDenied
    persons = [
        Person(
            municipality=group[0].municipality,
            **case_services._person_fields(
                case_rules.PersonInput(
                    name=group[0].values.get("name", ""),
                    kana=group[0].values.get("kana", ""),
                    birth_year=group[0].values.get("birth_year"),
                    sex=group[0].values.get("sex") or Person.Sex.UNKNOWN,
                ),
                on=group[0].values["intake_date"],
            ),
        )
        for group in new_groups
    ]
    # The counters of the persons written to (kpi.aggregates): existing cases' persons
    # before their rows are added, new persons as having had nothing.
    aggregates.track(
        persons=[case.person_id for case in known_cases.values()],
        parts=[aggregates.CONSULTATIONS],
    )
    Person.objects.bulk_create(persons, batch_size=BATCH)
    aggregates.created(persons=[p.pk for p in persons])
    Household.objects.bulk_create([Household(person=p) for p in persons], batch_size=BATCH)
    cases = []
    for group, person in zip(new_groups, persons, strict=True):
        values = group[0].values
        intake_date = values["intake_date"]
        cases.append(
            Case(
                number=f"import-{person.pk}",
                municipality=group[0].municipality,
                fiscal_year=fiscal_year(intake_date),
                sequence=TEMP_SEQUENCE_BASE + person.pk,
                person=person,
                intake_date=intake_date,
                intake_route=values["intake_route"],
                visitor=values["visitor"],
                age_band_at_intake=(
                    case_rules.age_band_for(person.birth_year, intake_date)
                    if person.birth_year
                    else person.age_band
                ),
                status=Case.Status.INTAKE,
                status_changed_on=intake_date,
                created_by=user,
            )
        )
    Case.objects.bulk_create(cases, batch_size=BATCH)
    CaseStatusChange.objects.bulk_create(
        [
            CaseStatusChange(
                case=case, from_status="", to_status=Case.Status.INTAKE,
                changed_on=case.intake_date, changed_by=user,
            )
            for case in cases
        ],
        batch_size=BATCH,
    )  # fmt: skip

    consultations: list[Consultation] = []
    rows_existing = 0
    done = 0
    for group, case in zip(new_groups, cases, strict=True):
        consultations.append(_consultation(case, group[0], user, first=True))
        later = [row for row in group[1:] if row.row not in existing]
        rows_existing += len(group) - 1 - len(later)
        consultations.extend(_consultation(case, row, user, first=False) for row in later)
    for group in groups:
        if group[0].row not in existing:
            continue
        case = known_cases[existing[group[0].row]]
        if case.municipality_id not in allowed:
            raise PermissionDenied
        rows_existing += 1
        new_rows = [row for row in group[1:] if row.row not in existing]
        rows_existing += len(group) - 1 - len(new_rows)
        if new_rows and not case.is_open:
            raise ValidationError(
                _("ケース%(number)sは終結・中断しているため、記録を追加できません。")
                % {"number": case.number}
            )
        consultations.extend(_consultation(case, row, user, first=False) for row in new_rows)
    for chunk in _chunks(consultations, BATCH):
        Consultation.objects.bulk_create(chunk)
        done += len(chunk)
        if progress is not None:
            progress(min(done + rows_existing, len(parsed.rows)))

    events: list[AuditEvent] = []
    for group, person, case in zip(new_groups, persons, cases, strict=True):
        person_input = {k: group[0].values.get(k) for k in ("name", "kana", "birth_year", "sex")}
        events.append(
            audit_event(
                action=Action.CREATE,
                request=request,
                user=user,
                obj=person,
                changed_fields=[
                    k for k, v in {**person_input, "age_band": person.age_band}.items()
                    if v not in ("", None)
                ],
            )
        )  # fmt: skip
        events.append(
            audit_event(
                action=Action.CREATE, request=request, user=user, obj=case,
                changed_fields=CASE_FIELDS,
            )
        )  # fmt: skip
    for record in consultations:
        events.append(
            audit_event(
                action=Action.CREATE,
                request=request,
                user=user,
                obj=record,
                municipality_id=record.case.municipality_id,
                changed_fields=_consultation_fields(record),
            )
        )
    AuditEvent.objects.bulk_create(events, batch_size=BATCH)

    batch = ImportBatch.objects.create(
        uploaded_by=user,
        file_name=file_name[:200],
        file_sha256=digest,
        rows_total=len(parsed.rows),
        cases_created=len(cases),
        consultations_created=len(consultations),
        rows_existing=rows_existing,
    )
    audit_record(
        action=Action.IMPORT,
        request=request,
        user=user,
        obj=batch,
        row_count=len(parsed.rows),
        filters={"file_sha256": digest},
    )
    # Last, just before the commit: the only step that holds the municipalities' lock.
    if cases:
        _number(cases)
    return batch
