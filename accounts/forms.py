from typing import Any

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import User


class LoginForm(AuthenticationForm):
    """Django's login form, with a lockout by username.

    One message for unknown users, wrong passwords, inactive and locked accounts: the page
    never tells which it was.
    """

    error_messages = {
        "invalid_login": _(
            "ユーザー名またはパスワードが正しくありません。"
            "続けて失敗すると、しばらくログインできなくなります。"
        ),
        "inactive": _(
            "ユーザー名またはパスワードが正しくありません。"
            "続けて失敗すると、しばらくログインできなくなります。"
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        if services.login_is_locked(username=username):
            services.login_refused_locked(
                username=username, password=password, request=self.request
            )
            raise self.get_invalid_login_error()
        # authenticate() sends user_login_failed on failure: the signal writes the audit row.
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            services.login_failure_record(username=username)
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


def _token_field(label: Any, *, autofocus: bool = True) -> forms.CharField:
    attrs = {"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
    return forms.CharField(
        label=label,
        max_length=12,
        help_text=_("認証アプリに表示されている6桁の数字を入力してください。"),
        widget=forms.TextInput(attrs={**attrs, "autofocus": True} if autofocus else attrs),
    )


def _six_digits(value: str) -> str:
    token = value.replace(" ", "").strip()
    if not (len(token) == 6 and token.isdigit()):
        raise forms.ValidationError(_("6桁の数字で入力してください。"))
    return token


class TokenForm(forms.Form):
    token = _token_field(_("確認コード（6桁）"))

    def clean_token(self) -> str:
        return _six_digits(self.cleaned_data["token"])


class PasswordConfirmForm(forms.Form):
    """Asks for the current password before a sensitive change (turning off TOTP)."""

    password = forms.CharField(
        label=_("現在のパスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("パスワードが正しくありません。"))
        return password


class PreferencesForm(forms.Form):
    date_style = forms.ChoiceField(
        label=_("日付の表示"),
        choices=User.DateStyle.choices,
        widget=forms.RadioSelect,
        help_text=_("入力はどちらの形でもできます（2026-12-02、R8.12.2、令和8年12月2日）。"),
    )


class DeviceReplaceForm(PasswordConfirmForm):
    """Replacing a confirmed device: the password, a code from the current device and one
    from the new (`accounts.services.otp_device_replace` checks the two codes)."""

    current_token = _token_field(_("今の端末の確認コード（6桁）"), autofocus=False)
    token = _token_field(_("新しい端末の確認コード（6桁）"), autofocus=False)

    def clean_current_token(self) -> str:
        return _six_digits(self.cleaned_data["current_token"])

    def clean_token(self) -> str:
        return _six_digits(self.cleaned_data["token"])
