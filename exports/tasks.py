from django.tasks import task

from exports.services import export_job_run


@task()
def run_export_job(job_id: str) -> None:
    export_job_run(job_id=job_id)
