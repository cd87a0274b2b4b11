"""The main navigation: each entry names the roles that may use it (here, beside the roles,
not in `core`, which knows nothing of them).

The same predicates from `accounts.scope` decide here and in the views, so a link is shown
exactly when its page would open.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts import scope
from accounts.types import AnyUser


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    allowed: Callable[[Any], bool]
    # URL prefixes that mark this entry as the current section.
    section: str


NAV_ITEMS: list[NavItem] = [
    NavItem(_("ホーム"), "home", lambda u: u.is_authenticated, "/home"),
    NavItem(_("相談ケース"), "cases:list", scope.can_see_personal_data, "/cases/"),
    NavItem(_("ケース会議"), "platforms:meeting_list", scope.can_see_personal_data, "/meetings/"),
    NavItem(_("社会資源"), "referrals:resource_list", lambda u: u.is_authenticated, "/resources/"),
    NavItem(
        _("実態把握"), "programme:entry_list", scope.can_see_personal_data, "/programme/entries/"
    ),
    NavItem(
        _("研修・広報"), "programme:training_list", lambda u: u.is_authenticated, "/programme/t"
    ),
    NavItem(_("市町村の状況"), "platforms:overview", scope.sees_prefecture, "/municipalities/"),
    NavItem(_("KPI"), "kpi:dashboard", lambda u: u.is_authenticated, "/kpi/"),
    NavItem(_("出力・取込"), "exports:index", scope.is_admin, "/exports/"),
    NavItem(_("監査ログ"), "audit:list", scope.is_admin, "/audit/"),
    NavItem(_("管理"), "admin:index", scope.is_admin, "/admin/"),
]


def items_for(user: AnyUser, path: str) -> list[dict[str, Any]]:
    items = []
    for item in NAV_ITEMS:
        if not item.allowed(user):
            continue
        url = reverse(item.url_name)
        current = path == url if item.url_name == "home" else path.startswith(item.section)
        items.append({"label": item.label, "url": url, "current": current})
    return items
