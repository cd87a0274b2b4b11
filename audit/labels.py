"""The audit trail in words: 「相談ケース」 for `cases.case`, 「所要時間」 for
`duration_minutes`, 「市町村：安芸市」 for `municipality=['3']`, reasons in the reader's language.

The rows keep the stable codes (the export and any later analysis read those); these labels
are for people reading the trail page.
"""

import contextlib
import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.dates import format_day
from core.models import Municipality

# Reasons some code writes as a stable code: what the reader sees.
REASONS = {
    "no personal-data rights": gettext_lazy("個人情報を閲覧する権限がありません"),
    "locked": gettext_lazy("ログインの失敗が続いたため一時的にロック中"),
    "totp": gettext_lazy("二要素認証"),
    "totp-enrol": gettext_lazy("二要素認証を設定"),
    "totp-disable": gettext_lazy("二要素認証を解除"),
    "seed_demo": gettext_lazy("デモデータの作成"),
}

# Filter keys that are not a model field of the object: their label.
FILTER_LABELS = {
    "q": gettext_lazy("キーワード"),
    "municipality": gettext_lazy("市町村"),
    "status": gettext_lazy("状況"),
    "counselor": gettext_lazy("担当"),
    "issue_tags": gettext_lazy("複合課題"),
    "age_band": gettext_lazy("年齢層"),
    "intake_from": gettext_lazy("受理日（から）"),
    "intake_to": gettext_lazy("受理日（まで）"),
    "held_from": gettext_lazy("開催日（から）"),
    "held_to": gettext_lazy("開催日（まで）"),
    "overdue": gettext_lazy("次の対応が期限切れ"),
    "no_contact": gettext_lazy("長期間連絡なし"),
    "o": gettext_lazy("並び順"),
    "print": gettext_lazy("印刷"),
    "minutes": gettext_lazy("議事録"),
    "kind": gettext_lazy("種類"),
    "fy": gettext_lazy("年度"),
    "scope": gettext_lazy("範囲"),
    "username": gettext_lazy("ユーザー名"),
    "action": gettext_lazy("操作"),
    "object_type": gettext_lazy("対象の種類"),
    "object_id": gettext_lazy("対象ID"),
    "case_number": gettext_lazy("ケース番号"),
    "date_from": gettext_lazy("期間（から）"),
    "date_to": gettext_lazy("期間（まで）"),
    "personal": gettext_lazy("個人情報を含める"),
    "include_personal": gettext_lazy("個人情報を含める"),
    "list": gettext_lazy("一覧"),
    "supervised": gettext_lazy("スーパーバイズ"),
}

LIST_NAMES = {"follow_up": gettext_lazy("フォローアップ")}

PRINT_LAYOUTS = {
    "case_record": gettext_lazy("支援経過記録"),
    "household_sheet": gettext_lazy("世帯票"),
    "meeting_handout": gettext_lazy("ケース会議 配布資料"),
}

# Related objects named in changed_fields as `person.name`, `household.notes`.
RELATED = {"person": "cases.person", "household": "cases.household"}


def _model(object_type: str) -> Any:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_label(object_type: str) -> str:
    if object_type.startswith("export."):
        from exports.registry import KINDS  # the exports app writes these rows

        kind = KINDS.get(object_type.removeprefix("export."))
        return _("出力（%(kind)s）") % {"kind": kind.label if kind else object_type}
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def field_label(object_type: str, name: str) -> str:
    prefix, _dot, rest = name.partition(".")
    if rest and prefix in RELATED:
        return f"{object_label(RELATED[prefix])}・{field_label(RELATED[prefix], rest)}"
    model = _model(object_type)
    if model is not None:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            pass
    return str(FILTER_LABELS.get(name, name))


def reason_label(reason: str) -> str:
    return str(REASONS.get(reason, reason))


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def municipality_ids(events: Iterable[Any]) -> set[int]:
    """Every municipality id named in the events' filters (one query for all their names)."""
    ids: set[int] = set()
    for event in events:
        for value in _values((event.filters or {}).get("municipality", [])):
            if str(value).isdigit():
                ids.add(int(value))
    return ids


def filter_value(
    object_type: str, key: str, value: Any, municipalities: dict[int, Municipality]
) -> str:
    words = []
    for item in _values(value):
        text = str(item)
        if key == "municipality" and text.isdigit() and int(text) in municipalities:
            text = municipalities[int(text)].name
        elif key == "print":
            text = str(PRINT_LAYOUTS.get(text, text))
        elif key == "list":
            text = str(LIST_NAMES.get(text, text))
        elif isinstance(item, bool) or text in ("True", "False", "on"):
            text = _("はい") if text in ("True", "on") else _("いいえ")
        elif len(text) == 10 and text[4] == "-" and text[7] == "-":
            with contextlib.suppress(ValueError):
                text = format_day(dt.date.fromisoformat(text))
        else:
            text = _choice_label(object_type, key, text)
        words.append(text)
    return "、".join(words)


def _choice_label(object_type: str, key: str, value: str) -> str:
    model = _model(object_type)
    if model is None:
        return value
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return value
    return str(dict(field.flatchoices).get(value, value)) if field.choices else value


def filters_text(
    object_type: str, filters: dict[str, Any], municipalities: dict[int, Municipality]
) -> list[str]:
    """「市町村：安芸市」, 「状況：支援中」 … one string per filter."""
    return [
        _("%(label)s：%(value)s")
        % {
            "label": field_label(object_type, key),
            "value": filter_value(object_type, key, value, municipalities),
        }
        for key, value in filters.items()
        if value not in (None, "", [])
    ]


def describe(events: list[Any]) -> None:
    """Attach the words to each event of a page: object, fields, filters, reason."""
    ids = municipality_ids(events)
    municipalities = Municipality.objects.in_bulk(ids) if ids else {}
    for event in events:
        event.object_label = object_label(event.object_type) if event.object_type else ""
        event.field_labels = [field_label(event.object_type, f) for f in event.changed_fields or []]
        event.filter_labels = filters_text(event.object_type, event.filters or {}, municipalities)
        event.reason_label = reason_label(event.reason) if event.reason else ""
