import logging
from argparse import ArgumentParser

from django.core.management.base import BaseCommand
from django.db.backends.signals import connection_created
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, TASKS_LOGGER
from django_tasks_db.management.commands.db_worker import Worker

from exports import priority
from exports.worker import SupervisedWorker


class Command(BaseCommand):
    help = (
        "Run a background worker (django-tasks-db's db_worker loop) that sends heartbeats, "
        "reaps the tasks of dead workers and reconnects when the database goes away. "
        "Run one or more under systemd with Restart=always (README, Deployment)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--queue-name", default=DEFAULT_TASK_QUEUE_NAME)
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--worker-id", default=None, help="unique per worker (default: random)")

    def handle(self, *args: object, **options: object) -> None:
        verbosity = int(str(options["verbosity"]))
        level = {0: logging.CRITICAL, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in ("django_tasks_db", TASKS_LOGGER):
            logging.getLogger(name).setLevel(level)
        worker_id = str(options["worker_id"] or get_random_string(32))
        queue_names = str(options["queue_name"]).split(",")
        max_tasks = options["max_tasks"]
        # Before any thread or connection: the heartbeat thread inherits the priorities, and
        # every connection's backend gets them too where possible (exports.priority).
        applied = priority.lower_priority()
        connection_created.connect(priority.renice_database_backend, dispatch_uid="worker-priority")
        pacer = priority.start_pacing()
        if verbosity >= 1:
            self.stdout.write(
                f"worker priority: nice {applied.nice}, I/O {applied.io}, "
                f"autogroup {applied.autogroup}, "
                + (
                    f"rests {pacer.ratio:g}× its work at CPU pressure ≥ {pacer.pressure:g}%"
                    if pacer
                    else "no pacing"
                )
            )

        def make_worker() -> Worker:
            return Worker(
                queue_names=queue_names,
                interval=float(str(options["interval"])),
                batch=bool(options["batch"]),
                backend_name=DEFAULT_TASK_BACKEND_ALIAS,
                startup_delay=False,
                max_tasks=int(str(max_tasks)) if max_tasks is not None else None,
                worker_id=worker_id,
                excluded_queue_names=[],
            )

        SupervisedWorker(worker_id=worker_id, make_worker=make_worker).run()
