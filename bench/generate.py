"""A synthetic national dataset for the benchmark, built with bulk SQL on PostgreSQL.

47 prefectures, 1,741 municipalities (valid 6-digit codes), their jurisdictions, and at full
scale 1,000,000 cases (one person each), 5,000,000 consultations, 100,000 case meetings,
300,000 referrals and 20,000 employment outcomes over FY2020–FY2026 (up to today).
`BENCH_SCALE=small` builds 1% of each count, `tiny` 0.05%; the municipalities stay 1,741.

Every row is written by `INSERT … SELECT … FROM generate_series(…)` with explicit ids, so the
foreign keys are arithmetic and nothing goes through the ORM row by row. The rows respect every
NOT NULL column and CHECK constraint of the models (the database checks them on insert).
All names are fictional. This wipes the domain tables of the database it runs on: point it at
a benchmark database only.
"""

import datetime as dt
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from cases.kana import kana_key
from core.codes import check_digit
from core.prefectures import PREFECTURES

SCALES: dict[str, float] = {"full": 1.0, "small": 0.01, "tiny": 0.0005}
FULL_COUNTS: dict[str, int] = {
    "cases": 1_000_000,
    "consultations": 5_000_000,
    "meetings": 100_000,
    "referrals": 300_000,
    "outcomes": 20_000,
}
MUNICIPALITIES = 1_741
JURISDICTIONS_PER_PREFECTURE = 8
RESOURCES_PER_PREFECTURE = 40
FIRST_DAY = dt.date(2020, 4, 1)  # FY2020 (令和2年度)
COUNSELORS = 50
PASSWORD = "bench-password"  # noqa: S105  (the synthetic benchmark users' password)
MARKER_TABLE = "bench_marker"

REFUSAL = (
    "The benchmark needs PostgreSQL (bulk SQL with generate_series); this database is {vendor}. "
    "Set DATABASE_URL=postgres://… to a benchmark database."
)

# The tables the generator owns, emptied before a build (children first).
DOMAIN_TABLES = [
    # The dashboard's maintained counters (kpi.aggregates): refilled from the records below.
    "kpi_tally",
    # The casework cycle (casework/): its records point at cases, referrals and meetings; the
    # admin-edited reference lists (domains, stages, steps) are kept.
    "casework_assessmentsituation",
    "casework_assessment",
    "casework_goalevaluation",
    "casework_review_steps",
    "casework_review",
    "casework_plangoal_referrals",
    "casework_plangoal",
    "casework_supportplan",
    "casework_consent",
    "casework_meetingcasebasis",
    "casework_contactdetail",
    "programme_outreachattempt",
    "programme_surveyentry",
    "programme_supervisionrequest",
    "programme_trainingattendance",
    "programme_trainingevent",
    "programme_publicityaction",
    "programme_placesupport",
    "referrals_employmentoutcome",
    "referrals_referraltransition",
    "referrals_referralnote",
    "referrals_referral",
    "referrals_resourcekindperiod",
    "referrals_resourcekindsetting",
    "referrals_resource",
    "platforms_casemeeting_cases",
    "platforms_casemeeting_agencies",
    "platforms_followupaction",
    "platforms_casemeeting",
    "platforms_platform_members",
    "platforms_platform",
    "platforms_municipalstatus",
    "platforms_agency",
    "cases_consultation",
    "cases_casestatuschange",
    "cases_case_issue_tags",
    "cases_case",
    "cases_householdmember",
    "cases_household",
    "cases_person",
    "kpi_yearclosing",
    "kpi_surveycount",
    "kpi_baseline",
    "kpi_target",
    "exports_exportjob",
    "accounts_user_municipalities",
    "accounts_user_jurisdictions",
    "core_municipality",
    "core_jurisdiction",
]

KANA_NAMES = [
    "やまもと はると", "たかはし ゆい", "すずき そうた", "いのうえ めい", "さとう りく",
    "なかむら あおい", "こばやし ゆうと", "わたなべ ひまり", "いとう れん", "かとう さくら",
    "よしだ はるき", "やまだ こはる", "ささき いつき", "まつもと ゆな", "きむら かいと",
    "はやし りこ", "しみず そら", "やまぐち ゆづき", "もり あさひ", "いけだ ほのか",
]  # fmt: skip


class BenchRefused(RuntimeError):
    """The benchmark cannot run on this database."""


@dataclass(frozen=True)
class Counts:
    scale: str
    prefectures: int
    municipalities: int
    jurisdictions: int
    resources: int
    cases: int
    consultations: int
    meetings: int
    referrals: int
    outcomes: int

    @classmethod
    def for_scale(cls, scale: str) -> "Counts":
        if scale not in SCALES:
            raise ValueError(f"BENCH_SCALE must be one of {', '.join(SCALES)}, not {scale!r}")
        factor = SCALES[scale]
        n = {key: max(1, math.ceil(value * factor)) for key, value in FULL_COUNTS.items()}
        return cls(
            scale=scale,
            prefectures=len(PREFECTURES),
            municipalities=MUNICIPALITIES,
            jurisdictions=len(PREFECTURES) * JURISDICTIONS_PER_PREFECTURE,
            resources=len(PREFECTURES) * RESOURCES_PER_PREFECTURE,
            **n,
        )


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise BenchRefused(REFUSAL.format(vendor=connection.vendor))


def municipality_rows() -> list[tuple[int, str, str, str, str, int]]:
    """(id, code, prefecture code, name, kind, jurisdiction id) for 1,741 municipalities.

    Spread as evenly as possible over the 47 prefectures; codes are `PP` + three digits + the
    check digit, so every code is valid and unique.
    """
    codes = sorted(PREFECTURES)
    per, extra = divmod(MUNICIPALITIES, len(codes))
    rows = []
    next_id = 1
    for p_index, pref in enumerate(codes):
        for k in range(per + (1 if p_index < extra else 0)):
            first_five = f"{pref}{201 + k:03d}"
            code = f"{first_five}{check_digit(first_five)}"
            kind = "市" if k < 12 else ("町" if k % 3 else "村")
            name = f"ベンチ{pref}-{k + 1:03d}{kind}"
            jurisdiction = p_index * JURISDICTIONS_PER_PREFECTURE + k % JURISDICTIONS_PER_PREFECTURE
            rows.append((next_id, code, pref, name, kind, jurisdiction + 1))
            next_id += 1
    return rows


def marker() -> dict | None:
    """The scale and counts of the dataset present, or None."""
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
        if cur.fetchone()[0] is None:
            return None
        cur.execute(f"SELECT counts FROM {MARKER_TABLE} ORDER BY built_at DESC LIMIT 1")
        row = cur.fetchone()
    if row is None:
        return None
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def _setval(cur: CursorWrapper, table: str) -> None:
    cur.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
    )


def generate(scale: str, *, force: bool = False, log: Callable[[str], object] = print) -> Counts:
    """Build the dataset at `scale` unless the marker says it is already there."""
    require_postgresql()
    counts = Counts.for_scale(scale)
    from kpi import aggregates  # models: not at import time (the locustfile imports this module)

    present = marker()
    if present == asdict(counts) and not force:
        log(f"dataset at scale {scale!r} already present: reused")
        if aggregates.is_empty():  # built before the dashboard's counters existed
            _fill_aggregates(log)
        return counts
    today = timezone.localdate()
    days = (today - FIRST_DAY).days + 1
    p = {**asdict(counts), "today": today, "first": FIRST_DAY, "days": days}
    steps = _steps(counts)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")
        # The app's bounded statement time (DB_STATEMENT_TIMEOUT_MS, 15 s) is for pages: a
        # step here inserts millions of rows in one statement.
        cur.execute("SET LOCAL statement_timeout = 0")
        cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cur.execute("SET LOCAL work_mem = '64MB'")
        # Foreign keys are arithmetic here and checked once at the end (below); the CHECK
        # constraints and unique indexes still run on every row.
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")
        cur.execute(f"TRUNCATE {', '.join(DOMAIN_TABLES)} RESTART IDENTITY")
        cur.executemany(
            "INSERT INTO core_jurisdiction (id, prefecture_code, name_ja, name_en, sort_order) "
            "VALUES (%s, %s, %s, '', %s)",
            [
                (
                    i * JURISDICTIONS_PER_PREFECTURE + j + 1,
                    pref,
                    f"ベンチ{pref}第{j + 1}福祉保健所",
                    j,
                )
                for i, pref in enumerate(sorted(PREFECTURES))
                for j in range(JURISDICTIONS_PER_PREFECTURE)
            ],
        )
        cur.executemany(
            "INSERT INTO core_municipality (id, code, prefecture_code, name_ja, name_en, kind, "
            "jurisdiction_id) VALUES (%s, %s, %s, %s, '', %s, %s)",
            municipality_rows(),
        )
        for label, sql in steps:
            started = time.perf_counter()
            cur.execute(sql, p)
            log(f"  {label:<28} {cur.rowcount:>10,} rows {time.perf_counter() - started:7.1f} s")
        _users(cur, counts)
        cur.execute("SET LOCAL session_replication_role = origin")
        for table in [
            "core_jurisdiction",
            "core_municipality",
            "cases_person",
            "cases_case",
            "cases_consultation",
            "platforms_casemeeting",
            "platforms_casemeeting_cases",
            "cases_case_issue_tags",
            "referrals_resource",
            "referrals_referral",
            "referrals_employmentoutcome",
            "accounts_user",
            "accounts_user_municipalities",
        ]:
            _setval(cur, table)
        _check_foreign_keys(cur)
        _fill_aggregates(log)
        cur.execute(
            f"CREATE TABLE {MARKER_TABLE} (scale text NOT NULL, counts jsonb NOT NULL, "
            "built_at timestamptz NOT NULL DEFAULT now())"
        )
        cur.execute(
            f"INSERT INTO {MARKER_TABLE} (scale, counts) VALUES (%s, %s)",
            [scale, json.dumps(asdict(counts))],
        )
    started = time.perf_counter()
    with connection.cursor() as cur:
        # Outside the transaction above (VACUUM cannot run in one): the app's statement limit
        # applies again, and a vacuum of 5 M rows takes longer than a page may.
        cur.execute("SET statement_timeout = 0")
        cur.execute("VACUUM (ANALYZE)")
        cur.execute("RESET statement_timeout")
    log(f"  {'VACUUM ANALYZE':<28} {'':>10}      {time.perf_counter() - started:7.1f} s")
    return counts


def _fill_aggregates(log: Callable[[str], object]) -> None:
    """The dashboard's maintained counters, from the records just inserted (the app keeps
    them in its services; a bulk load must fill them: `kpi.aggregates.rebuild`, INSERT …
    SELECT on PostgreSQL)."""
    started = time.perf_counter()
    from kpi import aggregates

    rows = aggregates.rebuild()
    log(f"  {'KPI aggregates':<28} {rows:>10,} rows {time.perf_counter() - started:7.1f} s")


def _check_foreign_keys(cur: CursorWrapper) -> None:
    """The checks `session_replication_role = replica` skipped, done once per relation."""
    checks = {
        "case → person": "SELECT 1 FROM cases_case c LEFT JOIN cases_person p "
        "ON p.id = c.person_id WHERE p.id IS NULL LIMIT 1",
        "consultation → case": "SELECT 1 FROM cases_consultation x LEFT JOIN cases_case c "
        "ON c.id = x.case_id WHERE c.id IS NULL LIMIT 1",
        "meeting case → case": "SELECT 1 FROM platforms_casemeeting_cases x LEFT JOIN "
        "cases_case c ON c.id = x.case_id WHERE c.id IS NULL LIMIT 1",
        "referral → resource": "SELECT 1 FROM referrals_referral r LEFT JOIN "
        "referrals_resource s ON s.id = r.resource_id WHERE s.id IS NULL LIMIT 1",
        "referral municipality = case municipality": "SELECT 1 FROM referrals_referral r "
        "JOIN cases_case c ON c.id = r.case_id "
        "WHERE r.municipality_id <> c.municipality_id LIMIT 1",
        "outcome municipality = case municipality": "SELECT 1 FROM "
        "referrals_employmentoutcome o JOIN cases_case c ON c.id = o.case_id "
        "WHERE o.municipality_id <> c.municipality_id LIMIT 1",
        "outcome → referral": "SELECT 1 FROM referrals_employmentoutcome o LEFT JOIN "
        "referrals_referral r ON r.id = o.basis_referral_id "
        "WHERE o.basis_referral_id IS NOT NULL AND r.id IS NULL LIMIT 1",
    }
    for label, sql in checks.items():
        cur.execute(sql)
        if cur.fetchone() is not None:
            raise RuntimeError(f"generated rows break a foreign key: {label}")


def _users(cur: CursorWrapper, counts: Counts) -> None:
    """Benchmark users: 50 counselors (municipalities 1–50, the biggest), prefecture staff for
    the prefecture of municipality 1, a national user (blank prefecture code) and an admin."""
    password = make_password(PASSWORD)
    base = 1_000_000
    users = [
        (base + i, f"bench_counselor_{i:02d}", "counselor", "") for i in range(1, COUNSELORS + 1)
    ]
    users += [
        (base + 101, "bench_prefecture", "prefecture", "01"),
        (base + 102, "bench_national", "prefecture", ""),
        (base + 103, "bench_admin", "admin", ""),
    ]
    cur.executemany(
        "INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name, "
        "email, is_staff, is_active, date_joined, role, display_name, prefecture_code, date_style) "
        "VALUES (%s, %s, false, %s, '', '', '', false, true, now(), %s, %s, %s, 'western') "
        "ON CONFLICT (id) DO UPDATE SET password = EXCLUDED.password, role = EXCLUDED.role, "
        "prefecture_code = EXCLUDED.prefecture_code, is_active = true",
        [(pk, password, name, role, name, pref) for pk, name, role, pref in users],
    )
    cur.executemany(
        "INSERT INTO accounts_user_municipalities (user_id, municipality_id) VALUES (%s, %s)",
        [(base + i, i) for i in range(1, COUNSELORS + 1)],
    )
    # Every 20th case of a counselor's municipality is assigned to them (their home page).
    cur.execute(
        "UPDATE cases_case SET assigned_counselor_id = %s + municipality_id "
        "WHERE municipality_id <= %s AND id %% 20 = 0",
        [base, COUNSELORS],
    )


def _steps(counts: Counts) -> list[tuple[str, str]]:
    kana = ", ".join(f"'{k}'" for k in KANA_NAMES)
    keys = ", ".join(f"'{kana_key(k)}'" for k in KANA_NAMES)
    # The municipality of row g: skewed so municipality 1 is the biggest (~2.4% of the rows)
    # and every municipality has some.
    skew = (
        "(1 + LEAST(%(municipalities)s - 1, floor(%(municipalities)s * power(random(), 2))::int))"
    )
    return [
        (
            "persons",
            f"""
            INSERT INTO cases_person (id, municipality_id, name, kana, kana_key, name_key,
                birth_year, age_band, sex, created_at, updated_at)
            SELECT g, {skew}, 'ベンチ' || g, (ARRAY[{kana}])[1 + g %% 20],
                (ARRAY[{keys}])[1 + g %% 20], 'べんち' || g, 1950 + g %% 55,
                (ARRAY['15-19','20s','30s','40s','50s','60s','unknown'])[1 + g %% 7],
                (ARRAY['male','female','other','unknown'])[1 + g %% 4], now(), now()
            FROM generate_series(1, %(cases)s) g
            """,
        ),
        (
            "cases",
            """
            INSERT INTO cases_case (id, end_reason, void_reason, number, fiscal_year, sequence,
                intake_date, intake_route,
                visitor, age_band_at_intake, withdrawal_duration, status, status_changed_on,
                status_reason, closed_on, version, created_at, updated_at,
                municipality_id, person_id)
            SELECT g, '', '', m.name_ja || '-R' || (fy - 2018) || '-'
                    || lpad(row_number() OVER w::text, 4, '0'),
                fy, row_number() OVER w, d,
                (ARRAY['self','family','minsei','school','medical','houkatsu','shakyo',
                       'other_agency'])[1 + g %% 8],
                (ARRAY['person','family','person_family','agency'])[1 + g %% 4],
                p.age_band, (ARRAY['lt6m','1-3y','3-5y','5-10y','10y+','unknown'])[1 + g %% 6],
                st, CASE WHEN st IN ('closed','suspended') THEN closed ELSE d END,
                '', CASE WHEN st IN ('closed','suspended') THEN closed END,
                1, now(), now(), p.municipality_id, g
            FROM (
                SELECT g, d, extract(year FROM d - interval '3 months')::int AS fy,
                    d + floor(r * (%(today)s::date - d + 1))::int AS closed,
                    CASE WHEN r < 0.10 THEN 'intake' WHEN r < 0.20 THEN 'assessment'
                         WHEN r < 0.60 THEN 'active' WHEN r < 0.90 THEN 'closed'
                         ELSE 'suspended' END AS st
                FROM (
                    SELECT g, %(first)s::date + floor(random() * %(days)s)::int AS d,
                        random() AS r
                    FROM generate_series(1, %(cases)s) g
                ) raw
            ) c
            JOIN cases_person p ON p.id = c.g
            JOIN core_municipality m ON m.id = p.municipality_id
            WINDOW w AS (PARTITION BY p.municipality_id, fy ORDER BY g)
            """,
        ),
        (
            "case issue tags",
            """
            INSERT INTO cases_case_issue_tags (id, case_id, issuetag_id)
            SELECT row_number() OVER (ORDER BY c.id), c.id, t.id
            FROM cases_case c
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM cases_issuetag) t
              ON t.n = c.id %% (SELECT count(*) FROM cases_issuetag)
            WHERE c.id %% 3 = 0
            """,
        ),
        (
            "consultations",
            """
            INSERT INTO cases_consultation (id, void_reason, date, method, with_whom,
                duration_minutes, notes,
                next_action, next_action_date, submission_token, version, created_at,
                updated_at, case_id)
            SELECT g, '', d,
                (ARRAY['visit','phone','home_visit','email','online','accompany'])[1 + g %% 6],
                (ARRAY['person','family','person_family','agency'])[1 + g %% 4],
                15 + (g %% 8) * 10, '架空の相談記録です。家族から近況を聞き取った。',
                CASE WHEN g %% 3 = 0 THEN '次回、電話で様子を確認する' ELSE '' END,
                CASE WHEN g %% 3 = 0 THEN d + 7 + g %% 21 END,
                gen_random_uuid(), 1, now(), now(), case_id
            FROM (
                SELECT g, c.id AS case_id,
                    c.intake_date + floor(random() * (%(today)s::date - c.intake_date + 1))::int
                        AS d
                FROM generate_series(1, %(consultations)s) g
                JOIN cases_case c ON c.id = 1 + g %% %(cases)s
            ) x
            """,
        ),
        (
            "case meetings",
            """
            INSERT INTO platforms_casemeeting (id, held_on, kind, supervision, decisions, minutes,
                version, created_at, updated_at, municipality_id)
            SELECT j, c.intake_date + floor(random() * (%(today)s::date - c.intake_date + 1))::int,
                (ARRAY['individual','support','jusoteki'])[1 + j %% 3],
                (ARRAY['none','none','prefecture','center','health_office'])[1 + j %% 5],
                '架空の決定事項', '架空の議事録', 1, now(), now(), c.municipality_id
            FROM generate_series(1, %(meetings)s) j
            JOIN cases_case c ON c.id = 1 + ((j * 7) %% %(cases)s)
            """,
        ),
        (
            "meeting cases",
            """
            INSERT INTO platforms_casemeeting_cases (id, casemeeting_id, case_id)
            SELECT row_number() OVER (ORDER BY j, case_id), j, case_id FROM (
                SELECT j, 1 + ((j * 7) %% %(cases)s) AS case_id
                FROM generate_series(1, %(meetings)s) j
                UNION ALL
                SELECT j, c.id FROM generate_series(1, %(meetings)s) j
                JOIN platforms_casemeeting mt ON mt.id = j
                JOIN cases_case c ON c.id = 1 + ((j * 7 + 3) %% %(cases)s)
                WHERE c.municipality_id = mt.municipality_id
                    AND c.id <> 1 + ((j * 7) %% %(cases)s)
            ) links
            """,
        ),
        (
            "resources",
            f"""
            INSERT INTO referrals_resource (id, name, operator_type, prefecture_code, address,
                contact, opening_days, capacity, active, notes,
                municipality_id, kind_id, opened_on)
            SELECT (pi - 1) * {RESOURCES_PER_PREFECTURE} + k, 'ベンチ資源' || pi || '-' || k,
                (ARRAY['prefecture','municipality','npo','family_association','shakyo',
                       'company'])[1 + k %% 6],
                lpad(pi::text, 2, '0'), '', '', '', 10 + k %% 20, k %% 10 <> 0, '',
                CASE WHEN k %% 5 = 0 THEN NULL ELSE (
                    SELECT min(id) + (k %% count(*)) FROM core_municipality
                    WHERE prefecture_code = lpad(pi::text, 2, '0')) END,
                kinds.ids[1 + k %% array_length(kinds.ids, 1)],
                %(first)s::date + k * 30
            FROM generate_series(1, %(prefectures)s) pi,
                generate_series(1, {RESOURCES_PER_PREFECTURE}) k,
                (SELECT array_agg(id ORDER BY sort_order, id) AS ids
                 FROM referrals_resourcekind) kinds
            """,
        ),
        (
            # Every fourth place is supported by its prefecture (programme.PlaceSupport).
            "prefecture support",
            """
            INSERT INTO programme_placesupport (resource_id, kind, starts_on, incentive,
                incentive_note, note, created_at)
            SELECT id, 'support', COALESCE(opened_on, %(first)s::date), false, '', '', now()
            FROM referrals_resource WHERE id %% 4 = 0
            """,
        ),
        (
            "referrals",
            f"""
            INSERT INTO referrals_referral (id, status, proposed_on, arranging_on, connected_on,
                ended_on, not_realised_on, not_realised_reason, not_realised_detail, version,
                created_at, updated_at, case_id, municipality_id, resource_id)
            SELECT g, st, prop,
                CASE WHEN st IN ('arranging','connected','ended')
                     OR (st = 'not_realised' AND g %% 2 = 0) THEN arr END,
                CASE WHEN st IN ('connected','ended') THEN conn END,
                CASE WHEN st = 'ended' THEN LEAST(%(today)s::date, conn + 30 + g %% 200) END,
                CASE WHEN st = 'not_realised' THEN LEAST(%(today)s::date, arr + 10) END,
                CASE WHEN st = 'not_realised' THEN
                    (ARRAY['declined','capacity','lost_contact'])[1 + g %% 3] ELSE '' END,
                '', 1, now(), now(), case_id, municipality_id,
                (prefecture_code::int - 1) * {RESOURCES_PER_PREFECTURE} + 1
                    + g %% {RESOURCES_PER_PREFECTURE}
            FROM (
                SELECT g, c.id AS case_id, c.municipality_id, m.prefecture_code, prop,
                    LEAST(%(today)s::date, prop + 3 + g %% 20) AS arr,
                    LEAST(%(today)s::date, prop + 25 + g %% 40) AS conn,
                    CASE WHEN r < 0.15 THEN 'proposed' WHEN r < 0.30 THEN 'arranging'
                         WHEN r < 0.65 THEN 'connected' WHEN r < 0.80 THEN 'ended'
                         ELSE 'not_realised' END AS st
                FROM (
                    SELECT g, random() AS r, 1 + ((g * 3) %% %(cases)s) AS cid
                    FROM generate_series(1, %(referrals)s) g
                ) raw
                JOIN cases_case c ON c.id = raw.cid
                JOIN core_municipality m ON m.id = c.municipality_id,
                LATERAL (SELECT c.intake_date + floor(random()
                    * (%(today)s::date - c.intake_date + 1))::int AS prop) pr
            ) x
            """,
        ),
        (
            # What referral_connect stamps: the kind's flags on the day of the connection
            # (no configuration history in the generated data: today's flags).
            "referral stamps",
            """
            UPDATE referrals_referral r
            SET counted_as_ibasho = k.counts_as_ibasho,
                counted_as_work_training = k.is_work_training
            FROM referrals_resource s JOIN referrals_resourcekind k ON k.id = s.kind_id
            WHERE s.id = r.resource_id AND r.connected_on IS NOT NULL
            """,
        ),
        (
            "employment outcomes",
            """
            INSERT INTO referrals_employmentoutcome (id, void_reason, started_on, employment_type,
                after_intermediate, after_intermediate_source, manual_reason, version,
                created_at, updated_at, case_id, municipality_id, person_id, basis_referral_id)
            SELECT n, '', LEAST(%(today)s::date, r.connected_on + (30 + r.id %% 90)::int),
                (ARRAY['regular','disability','part_time','self_employed','welfare'])
                    [1 + (r.id %% 5)::int],
                k.is_work_training OR n %% 10 = 0,
                CASE WHEN n %% 10 = 0 AND NOT k.is_work_training THEN 'manual' ELSE 'auto' END,
                CASE WHEN n %% 10 = 0 AND NOT k.is_work_training
                     THEN 'システム外の就労訓練を経た（架空）' ELSE '' END,
                1, now(), now(), r.case_id, c.municipality_id, c.person_id,
                CASE WHEN k.is_work_training THEN r.id END
            FROM (
                SELECT row_number() OVER (ORDER BY r.id) AS n, r.*
                FROM referrals_referral r WHERE r.connected_on IS NOT NULL
            ) r
            JOIN referrals_resource s ON s.id = r.resource_id
            JOIN referrals_resourcekind k ON k.id = s.kind_id
            JOIN cases_case c ON c.id = r.case_id
            WHERE r.n <= %(outcomes)s
            """,
        ),
    ]
