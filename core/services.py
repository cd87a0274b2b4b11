"""Writes for reference data."""

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.db import transaction
from django.utils.translation import gettext as _

from core.codes import is_valid_code
from core.models import Jurisdiction, Municipality

KOCHI_CSV = Path(__file__).resolve().parent / "data" / "kochi_municipalities.csv"
CSV_COLUMNS = ("code", "name_ja", "name_en", "kind", "jurisdiction_ja", "jurisdiction_en")


class ReferenceDataError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    jurisdictions: set[str] = field(default_factory=set)


def municipalities_load_csv(*, stream: IO[str]) -> LoadResult:
    """Create or update municipalities and jurisdictions from a CSV in the shipped columns.

    Every row is checked first; one bad row rejects the whole file, with its line number.
    Running it twice changes nothing the second time.
    """
    reader = csv.DictReader(stream)
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ReferenceDataError([_("列が足りません: %(cols)s") % {"cols": ", ".join(missing)}])
    rows = []
    errors = []
    kinds = set(Municipality.Kind.values)
    for row in reader:
        line = reader.line_num
        code = (row["code"] or "").strip()
        if not is_valid_code(code):
            errors.append(
                _("%(line)d行目: 地方公共団体コード「%(code)s」が正しくありません。")
                % {"line": line, "code": code}
            )
            continue
        if row["kind"] not in kinds:
            errors.append(
                _("%(line)d行目: 種別「%(kind)s」は市・町・村・区のいずれかです。")
                % {"line": line, "kind": row["kind"]}
            )
            continue
        if not row["name_ja"].strip() or not row["jurisdiction_ja"].strip():
            errors.append(_("%(line)d行目: 名称と管轄は必須です。") % {"line": line})
            continue
        rows.append(row)
    if errors:
        raise ReferenceDataError(errors)
    if not rows:
        raise ReferenceDataError([_("データ行がありません。")])

    result = LoadResult()
    with transaction.atomic():
        jurisdictions: dict[str, Jurisdiction] = {}
        for order, row in enumerate(rows):
            pref = row["code"][:2]
            key = row["jurisdiction_ja"].strip()
            if key not in jurisdictions:
                jurisdiction, _created = Jurisdiction.objects.update_or_create(
                    prefecture_code=pref,
                    name_ja=key,
                    defaults={"name_en": row["jurisdiction_en"].strip(), "sort_order": order},
                )
                jurisdictions[key] = jurisdiction
                result.jurisdictions.add(key)
            _municipality, created = Municipality.objects.update_or_create(
                code=row["code"].strip(),
                defaults={
                    "prefecture_code": pref,
                    "name_ja": row["name_ja"].strip(),
                    "name_en": row["name_en"].strip(),
                    "kind": row["kind"],
                    "jurisdiction": jurisdictions[key],
                },
            )
            if created:
                result.created += 1
            else:
                result.updated += 1
    return result


def reference_data_load_default() -> LoadResult:
    """Kochi, the shipped default prefecture."""
    with KOCHI_CSV.open(encoding="utf-8") as stream:
        return municipalities_load_csv(stream=stream)
