import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ExportJob(models.Model):
    """One piece of background work (a record export or a ledger import) and what the user sees
    of it. Only its requester may see it or download its file.

    The job follows its task (`task_id`, a django-tasks-db result): `exports.jobs` moves it to a
    final state when the task ends, fails, or its worker stops sending heartbeats.
    """

    class Kind(models.TextChoices):
        CASES = "cases", _("相談ケース")
        CONSULTATIONS = "consultations", _("相談記録")
        REFERRALS = "referrals", _("つなぎ")
        MEETINGS = "meetings", _("ケース会議")
        LEDGER_IMPORT = "ledger_import", _("相談台帳の取込")

    class Status(models.TextChoices):
        QUEUED = "queued", _("待機中")
        RUNNING = "running", _("作成中")
        DONE = "done", _("完了")
        FAILED = "failed", _("失敗")
        EXPIRED = "expired", pgettext_lazy("export job", "期限切れ")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    kind = models.CharField(_("種類"), max_length=30, choices=Kind.choices)
    params = models.JSONField(_("条件"), default=dict)
    include_personal = models.BooleanField(_("個人情報を含む"), default=False)
    reason = models.CharField(_("理由"), max_length=500, blank=True)
    status = models.CharField(
        _("状況"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("全件数"), default=0)
    done_rows = models.PositiveIntegerField(_("処理済み"), default=0)
    file_name = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(_("依頼日時"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    expires_at = models.DateTimeField(_("有効期限"))
    # The django-tasks-db task running this job, and how many times it was started.
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    # While queued or running, no second job with the same key (a ledger file's digest per
    # user scope): two confirms of one file make one import.
    dedupe_key = models.CharField(max_length=100, blank=True, editable=False)
    batch = models.ForeignKey(
        "ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("出力ジョブ")
        verbose_name_plural = _("出力ジョブ")
        ordering = ["-created_at"]
        indexes = [
            # The export page: my recent jobs, newest first.
            models.Index(fields=["requested_by", "-created_at"], name="exportjob_user_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=models.Q(status__in=["queued", "running"]) & ~models.Q(dedupe_key=""),
                name="exportjob_one_active_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("exports:job", args=[self.pk])

    @property
    def kind_label(self) -> str:
        return str(self.get_kind_display())

    @property
    def is_import(self) -> bool:
        return self.kind == self.Kind.LEDGER_IMPORT

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.done_rows * 100 / self.total_rows) if self.total_rows else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.EXPIRED)


class ImportBatch(models.Model):
    """One imported ledger file: who, when, and what it created."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("取込者"),
        on_delete=models.PROTECT,
        related_name="import_batches",
    )
    file_name = models.CharField(_("ファイル名"), max_length=200)
    file_sha256 = models.CharField(_("ファイルのハッシュ"), max_length=64)
    rows_total = models.PositiveIntegerField(_("行数"), default=0)
    cases_created = models.PositiveIntegerField(_("新規ケース"), default=0)
    consultations_created = models.PositiveIntegerField(_("新規相談記録"), default=0)
    rows_existing = models.PositiveIntegerField(_("取込済みの行"), default=0)
    created_at = models.DateTimeField(_("取込日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("台帳の取込")
        verbose_name_plural = _("台帳の取込")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} {self.created_at:%Y-%m-%d %H:%M}"


class WorkerBeat(models.Model):
    """A background worker's heartbeat (`manage.py run_worker`). A worker not seen for
    TASK_WORKER_LEASE_SECONDS is dead: its running jobs are retried or failed."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("作業プロセス")
        verbose_name_plural = _("作業プロセス")

    def __str__(self) -> str:
        return f"{self.hostname}:{self.pid}"
