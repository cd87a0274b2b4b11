from typing import Any
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp, resume, services
from accounts.forms import (
    DeviceReplaceForm,
    LoginForm,
    PasswordConfirmForm,
    PreferencesForm,
    TokenForm,
)
from accounts.middleware import SEEN_AT_KEY
from accounts.types import AuthenticatedHttpRequest
from core.forms import add_service_errors


def _next_url(request: HttpRequest, default: str = "") -> str:
    """The `next` parameter if it points to this site, else the default (or home)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or reverse(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # A failed password on the login page that carries a form: keep carrying it.
        carried = resume.carried_payload(self.request) if self.request.method == "POST" else None
        if carried is not None:
            context.update(session_expired=True, resume=resume.carry_fields(carried), next="")
        elif self.request.GET.get("expired"):
            context["session_expired"] = True
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        carried = resume.carried_payload(self.request)
        response = super().form_valid(form)  # logs in, unverified (accounts.signals)
        step = otp.step_owed(self.request)
        if step == otp.VERIFY and carried is not None:
            # The second factor first; the carried form goes on through that step.
            return render(
                self.request,
                "accounts/otp_verify.html",
                {"form": TokenForm(), "next": "", "resume": resume.carry_fields(carried)},
            )
        if step is not None:
            url = reverse("accounts:otp_verify" if step == otp.VERIFY else "accounts:otp_enrol")
            next_url = self.get_redirect_url()  # already checked to be on this site
            if next_url:
                url += "?" + urlencode({"next": next_url})
            return HttpResponseRedirect(url)
        services.login_failures_clear(username=form.get_user().get_username())
        if carried is not None:
            resumed = resume.resume_response(self.request, carried)
            if resumed is not None:
                return resumed
            messages.warning(
                self.request,
                _("ログインが切れる前の入力は、別の利用者のものだったため破棄しました。"),
            )
        return response


login_view = LoginView.as_view()


@require_POST
@login_required
def keepalive(request: HttpRequest) -> JsonResponse:
    """「ログインを続ける」: renews the idle timeout now (static/js/session-timeout.js)."""
    request.session[SEEN_AT_KEY] = timezone.now().timestamp()  # modified: saved, new expiry
    return JsonResponse({"idle_seconds": settings.SESSION_COOKIE_AGE})


@require_POST
@login_required
def logout_view(request: HttpRequest) -> HttpResponse:
    return auth_views.LogoutView.as_view()(request)


@sensitive_post_parameters()
@login_required
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_change(
            user=request.user, new_password=form.cleaned_data["new_password1"], request=request
        )
        # Keeps this session; every other session of the user ends (its hash is stale).
        update_session_auth_hash(request, request.user)
        return redirect("accounts:password_change_done")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def password_change_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_change_done.html")


def _qr_svg(device_url: str) -> str:
    """The enrolment QR code as inline SVG, drawn here: no image service, no external URL."""
    qr = segno.make(device_url, error="m")
    svg = qr.svg_inline(scale=5, border=4, dark="#1a1a1c", light="#ffffff", omitsize=True)
    # segno's output is markup built from the URL's bits (no text of ours inside).
    return mark_safe(svg)


@login_required
def otp_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    device = otp.confirmed_device(request.user)
    return render(
        request,
        "accounts/otp_settings.html",
        {
            "device": device,
            "required": otp.required_by_role(request.user),
            "disable_form": PasswordConfirmForm(request.user),
        },
    )


@sensitive_post_parameters()
@login_required
def otp_enrol(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show a new secret (QR code and text) and turn it on once a code from it is typed.

    The secret waits in the session until confirmed, so an abandoned enrolment leaves no
    device behind and a GET writes nothing to the database. Replacing a confirmed device also
    takes the password and a code from that device.
    """
    session = request.session
    key_hex = session.get(otp.ENROL_KEY)
    if not key_hex:
        key_hex = session[otp.ENROL_KEY] = otp.new_key_hex()
    forced = otp.step_owed(request) == otp.ENROL
    replacing = otp.confirmed_device(request.user) is not None
    form: TokenForm | DeviceReplaceForm = (
        DeviceReplaceForm(request.user, request.POST or None)
        if replacing
        else TokenForm(request.POST or None)
    )
    if request.method == "POST" and form.is_valid():
        device = None
        if isinstance(form, DeviceReplaceForm):
            try:
                device = services.otp_device_replace(
                    user=request.user,
                    key_hex=key_hex,
                    current_token=form.cleaned_data["current_token"],
                    token=form.cleaned_data["token"],
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error)
        else:
            device = services.otp_device_confirm(
                user=request.user,
                key_hex=key_hex,
                token=form.cleaned_data["token"],
                request=request,
            )
            if device is None:
                form.add_error(
                    "token", _("確認コードが正しくありません。アプリの時刻設定も確認してください。")
                )
        if device is not None:
            django_otp.login(request, device)  # this session is verified by the enrolment
            session.pop(otp.ENROL_KEY, None)
            if forced:
                services.login_failures_clear(username=request.user.get_username())
            messages.success(
                request, _("二要素認証を設定しました。次回からログイン時に確認コードを入力します。")
            )
            return HttpResponseRedirect(_next_url(request, reverse("accounts:otp_settings")))
    unsaved = TOTPDevice(user=request.user, key=key_hex, name="authenticator")
    return render(
        request,
        "accounts/otp_enrol.html",
        {
            "form": form,
            "qr_svg": _qr_svg(unsaved.config_url),
            "secret": otp.key_base32(key_hex),
            "forced": forced,
            "replacing": replacing,
            "next": _next_url(request, ""),
        },
    )


@sensitive_post_parameters()
@login_required
def otp_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The second step of the login, for a user with a confirmed device."""
    if otp.step_owed(request) != otp.VERIFY:
        return HttpResponseRedirect(_next_url(request))
    if otp.confirmed_device(request.user) is None:
        # The device was removed meanwhile (by an admin): enrol again or carry on.
        request.session[otp.DEVICE_AT_LOGIN_KEY] = False
        return HttpResponseRedirect(_next_url(request))
    form = TokenForm(request.POST or None)
    carried = resume.carried_payload(request) if request.method == "POST" else None
    if request.method == "POST" and form.is_valid():
        wait = services.otp_throttled_seconds(user=request.user)
        device = services.otp_verify(
            user=request.user, token=form.cleaned_data["token"], request=request
        )
        if device is not None:
            django_otp.login(request, device)
            services.login_failures_clear(username=request.user.get_username())
            if carried is not None and (resumed := resume.resume_response(request, carried)):
                return resumed
            return HttpResponseRedirect(_next_url(request))
        if services.login_is_locked(username=request.user.get_username()):
            logout(request)
            messages.error(
                request,
                _(
                    "確認コードの誤りが続いたため、ログインを中止しました。しばらくしてからやり直してください。"
                ),
            )
            return redirect("accounts:login")
        if wait:
            form.add_error(
                "token",
                _("誤りが続いたため、%(seconds)d秒ほど待ってから入力してください。")
                % {"seconds": wait},
            )
        else:
            form.add_error("token", _("確認コードが正しくありません。"))
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "next": _next_url(request, ""), "resume": resume.carry_fields(carried)},
    )


@sensitive_post_parameters()
@require_POST
@login_required
def otp_disable(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Turn the second factor off (not for admins: for them it is required)."""
    if otp.required_by_role(request.user):
        messages.error(
            request,
            _("管理者は二要素認証を無効にできません。端末を替えるときは再設定してください。"),
        )
        return redirect("accounts:otp_settings")
    form = PasswordConfirmForm(request.user, request.POST)
    if not form.is_valid():
        device = otp.confirmed_device(request.user)
        return render(
            request,
            "accounts/otp_settings.html",
            {"device": device, "required": False, "disable_form": form},
            status=200,
        )
    services.otp_device_remove(user=request.user, request=request)
    request.session[otp.DEVICE_AT_LOGIN_KEY] = False
    messages.success(request, _("二要素認証を無効にしました。"))
    return redirect("accounts:otp_settings")


@login_required
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    """「表示設定」: how dates are shown to this user."""
    form = PreferencesForm(request.POST or None, initial={"date_style": request.user.date_style})
    if request.method == "POST" and form.is_valid():
        services.user_preferences_update(
            user=request.user, date_style=form.cleaned_data["date_style"], request=request
        )
        messages.success(request, _("表示設定を保存しました。"))
        return redirect("accounts:preferences")
    return render(request, "accounts/preferences.html", {"form": form})
