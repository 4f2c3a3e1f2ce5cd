"""Run a background worker for the task backend that TASKS_BACKEND chooses.

With the database backend (the default) this is django-tasks-db's
`db_worker`; with "rq", django-rq's `rqworker` with its scheduler (which
runs the delayed tasks: webhook retries). Start as many as you like, on
one machine or several: each task is run by one of them. On SIGTERM a
worker finishes the task it is running, then exits; the tasks still
waiting stay in the queue for the others or the next start.

A database worker also recovers the runs a killed worker left marked
running (`tasks.recover_abandoned`): once when it starts, then every
TASK_RECOVERY_SECONDS in a thread of its own beside the library's loop,
which has no place for periodic work. RQ's worker does the same for its
jobs by itself.
"""

import logging
import os
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV

from alliance.kernel.tasks import recover_abandoned

logger = logging.getLogger(__name__)


def recover_every(seconds, stopped):
    """Recover abandoned runs now and every `seconds`, until `stopped` is set."""
    while True:
        try:
            recover_abandoned()
        except Exception:
            # A locked or lost database: the next pass tries again.
            logger.exception("Could not recover abandoned tasks")
        finally:
            connections.close_all()
        if stopped.wait(seconds):
            return


class Command(BaseCommand):
    help = "Run a background worker (database or Redis queue, as TASKS_BACKEND says)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queues",
            default=",".join(settings.TASK_QUEUES),
            help="Comma-separated queues to take tasks from (default: %(default)s).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run the tasks waiting now, then exit.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between looks at an empty database queue (default: 1).",
        )
        parser.add_argument(
            "--reload",
            action="store_true",
            help="Restart on code changes (a developer's convenience).",
        )

    def handle(self, *, queues, batch, interval, reload, verbosity, **options):
        queues = [name for name in queues.split(",") if name]
        if settings.TASKS_BACKEND == "database":
            if batch:
                recover_abandoned()
            elif not reload or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                # In the process that runs tasks (with --reload, the child).
                threading.Thread(
                    target=recover_every,
                    args=(settings.TASK_RECOVERY_SECONDS, threading.Event()),
                    name="recover-abandoned",
                    daemon=True,
                ).start()
            call_command(
                "db_worker",
                queue_name=",".join(queues),
                batch=batch,
                interval=interval,
                reload=reload,
                startup_delay=not batch,
                verbosity=verbosity,
            )
        elif settings.TASKS_BACKEND == "rq":
            call_command(
                "rqworker",
                *queues,
                burst=batch,
                with_scheduler=True,
                # Jobs that run Django tasks (the default job class calls
                # the function directly, which a task is not).
                job_class="django_tasks_rq.backend.Job",
                verbosity=verbosity,
            )
        else:
            raise CommandError(
                f"TASKS_BACKEND={settings.TASKS_BACKEND} runs tasks where they are "
                "enqueued: no worker is needed."
            )
