from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from exports.registry import KINDS

# A personal-data export needs a reason someone can check later, not 「a」 or 「.」.
REASON_MIN_LENGTH = 6


class ExportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("出力するデータ"),
        choices=[(key, kind.label) for key, kind in KINDS.items()],
        widget=forms.RadioSelect,
    )
    query = forms.CharField(widget=forms.HiddenInput, required=False)
    include_personal = forms.BooleanField(
        label=_("個人情報（氏名・相談内容・議事録）を含める"),
        required=False,
        help_text=_("含めない場合は、ケース番号と集計に必要な項目だけを出力します。"),
    )
    include_voided = forms.BooleanField(
        label=_("取消した記録も含める"),
        required=False,
        help_text=_("通常は、取消（誤登録の取り消し）した記録は出力しません。"),
    )
    reason = forms.CharField(
        label=_("個人情報を含める理由"),
        required=False,
        max_length=500,
        help_text=_("監査ログに記録されます。例：県への事故報告のため"),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        reason = (data.get("reason") or "").strip()
        if data.get("include_personal") and not reason:
            self.add_error("reason", _("個人情報を含める場合は、理由を入力してください。"))
        elif data.get("include_personal") and len(reason) < REASON_MIN_LENGTH:
            self.add_error(
                "reason",
                _(
                    "理由は%(n)s文字以上で、目的が分かるように書いてください（例：県への事故報告のため）。"
                )
                % {"n": REASON_MIN_LENGTH},
            )
        return data


class LedgerUploadForm(forms.Form):
    file = forms.FileField(
        label=_("相談台帳ファイル（.xlsx）"),
        help_text=_("テンプレートの列名のまま入力したExcelファイルを選んでください。"),
    )

    def clean_file(self) -> "UploadedFile[bytes]":
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        # FileField has checked that the upload has a name and a size.
        if not (upload.name or "").lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Excelファイル（.xlsx）を選んでください。"))
        if (upload.size or 0) > 20 * 1024 * 1024:
            raise forms.ValidationError(_("ファイルが大きすぎます（20MBまで）。"))
        return upload
