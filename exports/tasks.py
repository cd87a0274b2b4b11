"""The background task that runs every job; `exports.jobs` queues it by name (TASK_PATH)."""

from collections.abc import Callable
from typing import Any

from django.tasks import TaskContext, task

from exports import jobs
from exports.ledger_jobs import ledger_import_job_run
from exports.models import ExportJob
from exports.services import export_job_run

RUNNERS: dict[str, Callable[[ExportJob], dict[str, Any]]] = {
    ExportJob.Kind.LEDGER_IMPORT: ledger_import_job_run,
}


@task(takes_context=True)
def run_job(context: TaskContext[Any, Any], job_id: str) -> None:
    kind = ExportJob.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    if kind is None:
        return
    jobs.job_run(job_id, RUNNERS.get(kind, export_job_run), task_id=str(context.task_result.id))
