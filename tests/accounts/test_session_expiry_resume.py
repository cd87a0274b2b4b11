"""A form sent after the session ended is carried through the login, for every URL taking POST.

One row per URL name that accepts a POST behind the login. `test_every_post_url_has_a_row`
POSTs to every other URL of the access table (tests/test_url_access.py) as someone who may
open it and expects 405: a new view that takes a POST without a row here fails, naming it.

Each row: who sends it, the object it needs (the access table's factories), the form. The
journey: log in, the session ends on the server, the POST arrives → the login page (200, a
Japanese message, the text in the page, nothing saved), the password → the resume page with
the text, "保存する" → the target view answers as it would have (never a 405 or an error).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from core.tokens import issue_submission_token
from tests import test_url_access as access

PASSWORD = "correct horse battery staple"
TEXT = "訪問で話した長い記録の本文"


@dataclass(frozen=True)
class PostRow:
    role: str
    factory: Callable[[], access.Target] | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # After resuming: a function of (response) checking that the text was saved or shown.
    check: Callable[[Any], None] | None = None


def _consultation_saved(response: Any) -> None:
    from cases.models import Consultation

    assert response.status_code == 302
    assert Consultation.objects.filter(notes=TEXT).count() == 1


def _case_opened(response: Any) -> None:
    from cases.models import Consultation

    assert response.status_code == 302
    assert Consultation.objects.filter(notes=TEXT, case__person__name="高知 花子").count() == 1


def _text_saved_or_shown(response: Any) -> None:
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert TEXT in response.content.decode()


CONSULTATION = {
    "date": "2023-06-01",
    "method": "phone",
    "with_whom": "family",
    "notes": TEXT,
    "submission_token": issue_submission_token(),
}
INTAKE = {
    "municipality": "",  # filled in by the test (the 高知市 id)
    "intake_date": "2023-06-01",
    "intake_route": "family",
    "visitor": "family",
    "name": "高知 花子",
    "kana": "こうち はなこ",
    "person_age_band": "unknown",
    "age_band_at_intake": "unknown",
    "withdrawal_duration": "unknown",
    "sex": "unknown",
    "method": "phone",
    "with_whom": "family",
    "notes": TEXT,
    "person_choice": "new",
    "submission_token": issue_submission_token(),
}

# fmt: off
POST_URLS: dict[str, PostRow] = {
    "accounts:password_change":      PostRow("counselor", data={"old_password": "x"}),
    "accounts:otp_enrol":            PostRow("counselor", data={"token": "000000"}),
    "accounts:otp_disable":          PostRow("counselor", data={"next": "/"}),
    "cases:intake":                  PostRow("counselor", data=INTAKE, check=_case_opened),
    "cases:edit":                    PostRow("counselor", access.case_in_kochi,
                                             {"name": TEXT}, _text_saved_or_shown),
    "cases:close":                   PostRow("counselor", access.case_in_kochi,
                                             {"reason": TEXT}, _text_saved_or_shown),
    "cases:suspend":                 PostRow("counselor", access.case_in_kochi,
                                             {"reason": TEXT}, _text_saved_or_shown),
    "cases:reopen":                  PostRow("counselor", access.closed_case_in_kochi,
                                             {"reason": TEXT}, _text_saved_or_shown),
    "cases:consultation_create":     PostRow("counselor", access.case_in_kochi, CONSULTATION,
                                             _consultation_saved),
    "cases:consultation_edit":       PostRow("counselor", access.consultation_in_kochi,
                                             {**CONSULTATION, "date": ""}, _text_saved_or_shown),
    "cases:void":                    PostRow("counselor", access.case_in_kochi,
                                             {"reason": TEXT}),
    "cases:consultation_void":       PostRow("counselor", access.consultation_in_kochi,
                                             {"reason": TEXT}),
    "referrals:employment_void":     PostRow("counselor", access.employment_in_kochi,
                                             {"reason": TEXT}),
    "referrals:referral_undo":       PostRow("counselor", access.referral_in_kochi,
                                             {"reason": TEXT}),
    "cases:member_add":              PostRow("counselor", access.case_in_kochi,
                                             {"circumstances": TEXT}, _text_saved_or_shown),
    "cases:member_edit":             PostRow("counselor", access.member_in_kochi,
                                             {"circumstances": TEXT}, _text_saved_or_shown),
    "cases:member_remove":           PostRow("counselor", access.member_in_kochi,
                                             {"confirm": "1"}),
    "referrals:referral_create":     PostRow("counselor", access.case_for_referrals,
                                             {"proposed_on": "2023-07-01"}),
    "referrals:referral_transition": PostRow("counselor", access.referral_in_kochi,
                                             {"action": "arrange", "on": "", "note": TEXT}),
    "referrals:referral_note_add":   PostRow("counselor", access.referral_in_kochi,
                                             {"date": "2023-07-01", "text": TEXT}),
    "referrals:employment_create":   PostRow("counselor", access.case_for_referrals,
                                             {"manual_reason": TEXT}, _text_saved_or_shown),
    "referrals:employment_edit":     PostRow("counselor", access.employment_in_kochi,
                                             {"manual_reason": TEXT}, _text_saved_or_shown),
    "platforms:meeting_create":      PostRow("center", data={"minutes": TEXT}),
    "platforms:meeting_edit":        PostRow("counselor", access.meeting_in_kochi,
                                             {"minutes": TEXT}, _text_saved_or_shown),
    "platforms:action_create":       PostRow("counselor", access.meeting_in_kochi,
                                             {"description": TEXT}),
    "platforms:action_complete":     PostRow("counselor", access.action_in_kochi,
                                             {"note": TEXT}),
    "platforms:platform_edit":       PostRow("center", access.kochi_city_code, {"notes": TEXT}),
    "platforms:status_edit":         PostRow("center", access.kochi_city_status,
                                             {"notes": TEXT}),
    "exports:start":                 PostRow("admin_user", data={"kind": "referrals"}),
    "exports:ledger_upload":         PostRow("counselor", data={"note": TEXT}),
    "exports:ledger_confirm":        PostRow("counselor", data={"token": "x"}),
}
# fmt: on

# The casework cycle (casework/): each form carried with a typed note; the factory and who may
# open it come from the access table.
CASEWORK_POST_URLS = (
    "casework:assessment_create",
    "casework:assessment_detail",
    "casework:consent_create",
    "casework:consent_withdraw",
    "casework:contact_edit",
    "casework:goal_add",
    "casework:goal_edit",
    "casework:meeting_bases",
    "casework:member_contact_edit",
    "casework:plan_create",
    "casework:plan_decide",
    "casework:plan_edit",
    "casework:plan_end",
    "casework:plan_revise",
    "casework:review_create",
    # The stable figures (kpi/, referrals/ configuration history).
    "kpi:year_close",
    "kpi:year_reopen",
    "referrals:employment_rejudge",
    "referrals:kind_settings_change",
    "referrals:resource_kind_change",
    # The prefecture's programme (programme/), the display preference (accounts/).
    "accounts:preferences",
    "programme:attendance_set",
    "programme:entry_close",
    "programme:entry_create",
    "programme:entry_open_case",
    "programme:outreach_create",
    "programme:publicity_create",
    "programme:supervision_accept",
    "programme:supervision_close",
    "programme:supervision_create_case",
    "programme:supervision_create_meeting",
    "programme:supervision_give",
    "programme:training_create",
)


def _casework_row(name: str) -> PostRow:
    row = access.TABLE[name]
    role = next(r for r in ("counselor", "center", "admin_user") if row.expected(r) in (200, 302))
    return PostRow(role, row.factory, {**row.data, "notes": TEXT})


POST_URLS.update({name: _casework_row(name) for name in CASEWORK_POST_URLS})

# URLs open without a login, or where a resumed POST makes no sense (the login itself,
# logout: logged out already; the second-factor step is part of the login).
NOT_BEHIND_LOGIN = {
    "set_language",
    "accounts:login",
    "accounts:logout",
    "accounts:otp_verify",
    "accounts:keepalive",
}
ROLE_ORDER = ("counselor", "center", "prefecture_staff", "admin_user")
# Views that answer a POST as they answer a GET (lists, pages, downloads: no form handled).
# A view here that starts handling a form must move to POST_URLS.
ANSWERS_POST_AS_GET = {
    "home",
    "platforms:meeting_print",
    "programme:entry_detail",
    "programme:entry_list",
    "programme:publicity_list",
    "programme:supervision_detail",
    "programme:supervision_list",
    "programme:support_list",
    "programme:training_detail",
    "programme:training_list",
    "cases:list",
    "accounts:otp_settings",
    "accounts:password_change_done",
    "exports:index",
    "exports:ledger_history",
    "exports:ledger_template",
    "platforms:meeting_detail",
    "platforms:meeting_list",
    "platforms:municipality_detail",
    "platforms:overview",
    "referrals:case_referrals",
    "referrals:follow_up",
    "referrals:referral_detail",
    "referrals:resource_detail",
    "referrals:resource_list",
}


def _end_session_on_server() -> None:
    # What the idle timeout does: the row expires (or is gone); the cookie stays in the browser.
    from django.utils import timezone

    Session.objects.update(expire_date=timezone.now())


def _fixture_user(request: Any, role: str) -> Any:
    user = request.getfixturevalue(role)
    if role == "admin_user":
        # The second factor's own carrying is tested below; here the password alone.
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setattr("accounts.otp.required_by_role", lambda user: False)
    return user


def _post_as(client: Client, user: Any, url: str, data: dict[str, Any]) -> Any:
    assert client.login(username=user.username, password=PASSWORD)
    if getattr(user, "is_superuser", False):
        session = client.session
        session["otp_state"] = "verified"
        session.save()
    _end_session_on_server()
    return client.post(url, data)


def test_every_post_row_is_in_the_access_table() -> None:
    stale = sorted(set(POST_URLS) - set(access.TABLE))
    assert not stale, f"Rows for URL names that no longer exist: {stale}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", sorted(set(access.TABLE) - set(POST_URLS) - NOT_BEHIND_LOGIN - ANSWERS_POST_AS_GET)
)
def test_every_post_url_has_a_row(request, login, kochi, name: str) -> None:
    row = access.TABLE[name]
    role = next(
        (r for r in ROLE_ORDER if row.expected(r) in (200, 302)),
        None,
    )
    if role is None:
        return  # nobody may open it: nothing to resume
    target = row.factory() if row.factory else access.Target()
    browser = login(request.getfixturevalue(role))
    response = browser.post(reverse(name, kwargs=target.kwargs), {})
    assert response.status_code == 405, (
        f"{name} accepts a POST (answered {response.status_code}): add a row to POST_URLS in "
        "tests/accounts/test_session_expiry_resume.py so that a form sent after the session "
        "ended is carried through the login"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(POST_URLS))
def test_post_after_expiry_is_carried_through_the_login(
    request, client, kochi, kochi_city, name: str
) -> None:
    row = POST_URLS[name]
    user = _fixture_user(request, row.role)
    target = row.factory() if row.factory else access.Target()
    url = reverse(name, kwargs=target.kwargs)
    data = dict(row.data)
    if "municipality" in data:
        data["municipality"] = kochi_city.pk

    expired = _post_as(client, user, url, data)
    assert expired.status_code == 200, f"{name}: {expired.status_code}"
    assert "accounts/login.html" in [t.name for t in expired.templates]
    body = expired.content.decode()
    assert "ログインの有効期限が切れました" in body
    assert "no-store" in expired["Cache-Control"]
    from accounts.resume import NOT_CARRIED

    for key, value in data.items():
        if isinstance(value, str) and value and key not in NOT_CARRIED:
            assert f'value="{value}"' in body, f"{name}: {value!r} not carried"

    login_data = {
        "username": user.username,
        "password": PASSWORD,
        "resume_path": url,
        "resume_owner": expired.context["resume"]["owner"],
        **{f"resume:{k}": v for k, v in data.items()},
    }
    resumed = client.post(reverse("accounts:login"), login_data)
    assert resumed.status_code == 200, f"{name}: {resumed.status_code}"
    assert "accounts/resume.html" in [t.name for t in resumed.templates]
    assert f'action="{url}"' in resumed.content.decode()

    sent = client.post(url, data)
    # A form shown again with its errors may say 400; an error page may not appear at all.
    assert sent.status_code not in (403, 404, 405, 500), f"{name}: {sent.status_code}"
    assert not [t.name for t in sent.templates if t.name.startswith("errors/")], name
    if row.check is not None:
        row.check(sent)


@pytest.mark.django_db
def test_the_text_is_not_in_the_database_before_the_login(client, counselor) -> None:
    from audit.models import AuditEvent
    from cases.models import Consultation
    from tests.factories import CaseFactory

    case = CaseFactory()
    url = reverse("cases:consultation_create", args=[case.pk])
    _post_as(client, counselor, url, CONSULTATION)
    assert not Consultation.objects.filter(notes=TEXT).exists()
    stored = [s.session_data for s in Session.objects.all()]
    assert not any(TEXT in data for data in stored)
    assert not AuditEvent.objects.filter(changed_fields__icontains=TEXT).exists()


@pytest.mark.django_db
def test_another_user_logging_in_does_not_get_the_text(client, counselor, colleague) -> None:
    from cases.models import Consultation
    from tests.factories import CaseFactory

    case = CaseFactory()
    url = reverse("cases:consultation_create", args=[case.pk])
    expired = _post_as(client, counselor, url, CONSULTATION)
    response = client.post(
        reverse("accounts:login"),
        {
            "username": colleague.username,
            "password": PASSWORD,
            "resume_path": url,
            "resume_owner": expired.context["resume"]["owner"],
            **{f"resume:{k}": v for k, v in CONSULTATION.items()},
        },
        follow=True,
    )
    body = response.content.decode()
    assert TEXT not in body
    assert "破棄しました" in body
    assert not Consultation.objects.filter(notes=TEXT).exists()


@pytest.mark.django_db
def test_a_wrong_password_keeps_carrying_the_text(client, counselor) -> None:
    from tests.factories import CaseFactory

    case = CaseFactory()
    url = reverse("cases:consultation_create", args=[case.pk])
    expired = _post_as(client, counselor, url, CONSULTATION)
    again = client.post(
        reverse("accounts:login"),
        {
            "username": counselor.username,
            "password": "wrong password here",
            "resume_path": url,
            "resume_owner": expired.context["resume"]["owner"],
            **{f"resume:{k}": v for k, v in CONSULTATION.items()},
        },
    )
    assert again.status_code == 200
    assert f'value="{TEXT}"' in again.content.decode()


@pytest.mark.django_db
def test_a_get_after_expiry_says_why_on_the_login_page(client, counselor) -> None:
    assert client.login(username=counselor.username, password=PASSWORD)
    _end_session_on_server()
    response = client.get(reverse("cases:list"), follow=True)
    assert "ログインの有効期限が切れました" in response.content.decode()


def test_a_forged_resume_path_elsewhere_is_ignored(rf) -> None:
    from django.core import signing

    from accounts import resume

    request = rf.post(
        "/accounts/login/",
        {
            "resume_path": "https://evil.example/",
            "resume_owner": signing.dumps("1", salt=resume.SIGNING_SALT),
        },
    )
    assert resume.carried_payload(request) is None


@pytest.mark.django_db
def test_keepalive_renews_the_idle_timeout(client, counselor) -> None:
    from tests.accounts.test_sessions import at

    assert client.login(username=counselor.username, password=PASSWORD)
    with at(25):
        response = client.post(reverse("accounts:keepalive"))
        assert response.json() == {"idle_seconds": 30 * 60}
    with at(50):  # 25 minutes after the renewal: still logged in
        assert client.get(reverse("cases:list")).status_code == 200


@pytest.mark.django_db
def test_pages_carry_the_warning_for_logged_in_users_only(client, counselor) -> None:
    assert 'id="session-warning"' not in client.get(reverse("accounts:login")).content.decode()
    assert client.login(username=counselor.username, password=PASSWORD)
    body = client.get(reverse("home")).content.decode()
    assert 'id="session-warning"' in body and "js/session-timeout.js" in body


@pytest.mark.django_db
def test_the_text_is_carried_through_the_second_factor(client, admin_user) -> None:
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import otp
    from cases.models import Consultation
    from tests.factories import CaseFactory

    device = TOTPDevice.objects.create(
        user=admin_user, name="phone", key=otp.new_key_hex(), confirmed=True
    )
    case = CaseFactory()
    url = reverse("cases:consultation_create", args=[case.pk])
    expired = _post_as(client, admin_user, url, CONSULTATION)
    carried = {
        "resume_path": url,
        "resume_owner": expired.context["resume"]["owner"],
        **{f"resume:{k}": v for k, v in CONSULTATION.items()},
    }
    step = client.post(
        reverse("accounts:login"),
        {"username": admin_user.username, "password": PASSWORD, **carried},
    )
    assert "accounts/otp_verify.html" in [t.name for t in step.templates]
    assert f'value="{TEXT}"' in step.content.decode()
    resumed = client.post(
        reverse("accounts:otp_verify"),
        {"token": f"{TOTP(device.bin_key, step=device.step, t0=device.t0).token():06d}", **carried},
    )
    assert "accounts/resume.html" in [t.name for t in resumed.templates]
    assert client.post(url, CONSULTATION).status_code == 302
    assert Consultation.objects.filter(notes=TEXT).count() == 1
