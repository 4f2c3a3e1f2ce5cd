"""Run a background worker for the task backend that TASKS_BACKEND chooses.

With the database backend (the default) this is django-tasks-db's
`db_worker`; with "rq", django-rq's `rqworker` with its scheduler (which
runs the delayed tasks: webhook retries). Start as many as you like, on
one machine or several: each task is run by one of them. On SIGTERM a
worker finishes the task it is running, then exits; the tasks still
waiting stay in the queue for the others or the next start.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


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
