"""Background work: Django's tasks API, as django-tasks backports it.

A task is a plain function taking ids and strings, decorated with `task`;
it runs in a worker process (`manage.py worker`), so a slow mail server or
a partner's slow endpoint never holds a request. The backend is chosen by
TASKS_BACKEND (see settings): the database by default, a Redis queue for
several machines, or at once in the calling process.

A request enqueues through `enqueue_on_commit`: the task waits for the
transaction, so a change that is rolled back sends nothing, and a worker
never looks for a row that is not committed yet.

A worker killed outright (SIGKILL, out of memory, a machine restart) leaves
the task it ran marked running: django-tasks-db marks a task running when a
worker takes it and knows nothing more of that worker until it ends the
task (its issue #5, "Unclean exits of the worker leave tasks in limbo").
`fail_abandoned` records such a task as failed once it has run for longer
than it can.
"""

import functools
import logging

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

__all__ = [
    "TaskResultStatus",
    "WorkerLost",
    "enqueue_later",
    "enqueue_on_commit",
    "fail_abandoned",
    "retry_failed",
    "task",
]

logger = logging.getLogger(__name__)


def enqueue_on_commit(task_, *args, **kwargs):
    """Enqueue `task_(*args, **kwargs)` once the current transaction commits.

    Outside a transaction (autocommit) it is enqueued at once.
    """
    transaction.on_commit(functools.partial(task_.enqueue, *args, **kwargs))


def enqueue_later(task_, when, *args, **kwargs):
    """Enqueue `task_` to run at `when` (after the current transaction commits).

    A backend that cannot wait (the immediate one) runs nothing later: the
    work is picked up by the next task of its kind instead. Answer whether
    the task was scheduled.
    """
    if not task_backends[task_.backend].supports_defer:
        logger.info("Not scheduling %s: the task backend cannot defer", task_.name)
        return False
    transaction.on_commit(
        functools.partial(task_.using(run_after=when).enqueue, *args, **kwargs)
    )
    return True


def retry_failed(results):
    """Enqueue again the tasks of these failed database task results; answer how many.

    Each failed result is put back in the queue as it was (same task, same
    arguments, same queue), with its last error cleared: the admin's
    "Run again".
    """
    return DBTaskResult.objects.filter(
        pk__in=[result.pk for result in results], status=TaskResultStatus.FAILED
    ).update(
        status=TaskResultStatus.READY,
        run_after=get_date_max(),
        enqueued_at=timezone.now(),
        started_at=None,
        finished_at=None,
        exception_class_path="",
        traceback="",
    )


class WorkerLost(Exception):
    """The worker running a task stopped before the task ended."""


def fail_abandoned(task_, *, started_before, **kwargs):
    """Record as failed the runs of `task_` marked running since before `started_before`; answer them.

    `kwargs` narrows them to the runs called with these keyword arguments.
    Each gets the library's failed state, with a `WorkerLost` error that
    says why, and is listed under the failed tasks. Only the database
    queue keeps such records: with Redis (RQ) a job whose worker died is
    failed by RQ itself, as abandoned.
    """
    if not isinstance(task_.get_backend(), DatabaseBackend):
        return []
    results = DBTaskResult.objects.running().filter(
        task_path=task_.module_path, started_at__lt=started_before
    )
    for name, value in kwargs.items():
        results = results.filter(**{f"args_kwargs__kwargs__{name}": value})
    abandoned = list(results)
    for result in abandoned:
        result.set_failed(
            WorkerLost(
                "The worker running this task stopped before it ended "
                f"(it has been running since {result.started_at:%Y-%m-%d %H:%M:%S %Z})."
            )
        )
    return abandoned
