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
So each task says how long one run may take at most (`max_run_time`, by
default TASK_MAX_RUN_MINUTES) and whether a run lost with its worker may
simply run again (`retry_lost`); a worker, when it starts and then every
TASK_RECOVERY_SECONDS, looks for runs marked running for longer than their
limit and recovers them (`recover_abandoned`). With the Redis queue, RQ
does this itself (see `recover_abandoned`).
"""

import dataclasses
import datetime
import functools
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task_backends
from django_tasks.base import Task as LibraryTask
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction

__all__ = [
    "Task",
    "TaskResultStatus",
    "WorkerLost",
    "enqueue_later",
    "enqueue_on_commit",
    "fail_abandoned",
    "recover_abandoned",
    "retry_failed",
    "task",
]

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Task(LibraryTask):
    """A task of django-tasks, which also says what becomes of a run whose worker died."""

    max_run_time: datetime.timedelta | None = None
    """The longest one run may take; None: TASK_MAX_RUN_MINUTES.

    A run marked running for longer is taken as lost with its worker. Keep
    it well above the task's normal run time: the worker of a run that is
    slow, not dead, would still be at it while the run is recovered.
    """

    retry_lost: int = 0
    """How many times a run lost with its worker is queued again.

    Only for tasks that are safe to run twice (idempotent): the dead worker
    may have done the work without recording it. The count is of runs
    (the library's `worker_ids`, one per worker that took the task): past
    it, or with 0, the run is failed with `WorkerLost`, for staff to run
    again from the admin's task results if they judge it safe.
    """

    @property
    def run_time_limit(self):
        return self.max_run_time or default_run_time_limit()


def default_run_time_limit():
    """How long a run of a task that names no `max_run_time` may take: TASK_MAX_RUN_MINUTES."""
    return datetime.timedelta(minutes=settings.TASK_MAX_RUN_MINUTES)


def task(function=None, *, max_run_time=None, retry_lost=0, **options):
    """Declare a background task: django-tasks' `@task`, with `Task`'s two settings more.

    `@task`, `@task(queue_name="webhooks")` and the library's other
    options work as in django-tasks; `max_run_time` and `retry_lost` say
    what happens to a run whose worker died (see `Task`).
    """

    def declare(function):
        return Task(
            func=function, max_run_time=max_run_time, retry_lost=retry_lost, **options
        )

    return declare(function) if function else declare


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
    ).update(enqueued_at=timezone.now(), **_READY_AGAIN)


# What a task result is set to to run again, as soon as a worker is free.
_READY_AGAIN = {
    "status": TaskResultStatus.READY,
    "run_after": get_date_max(),
    "started_at": None,
    "finished_at": None,
    "exception_class_path": "",
    "traceback": "",
}


class WorkerLost(Exception):
    """The worker running a task stopped before the task ended."""


def _worker_lost(result):
    return WorkerLost(
        "The worker running this task stopped before it ended "
        f"(it has been running since {result.started_at:%Y-%m-%d %H:%M:%S %Z})."
    )


def recover_abandoned(backend_name=DEFAULT_TASK_BACKEND_ALIAS):
    """Recover the runs of database tasks whose worker died; answer them, queued again and failed.

    A run is taken as abandoned once it has been marked running for longer
    than its task's `run_time_limit`. A task that may run again
    (`retry_lost`) is queued again while it has runs left; the others are
    recorded as failed with a `WorkerLost` error, listed in the admin's
    task results to be run again.

    Each run is taken under a row lock, skipping those another worker
    holds, and only while it is still marked running: two workers
    recovering at once recover each run once, and a run that ended
    meanwhile is left alone. On SQLite the transaction is exclusive (as
    the library's worker takes its tasks).

    Only the database queue needs this. With Redis, RQ's own maintenance
    (in every `rqworker`, every 10 minutes) moves a job whose worker
    stopped sending heartbeats out of its started registry and fails it as
    abandoned (`AbandonedJobError`); RQ kills a job that runs past its
    timeout itself.
    """
    queued, failed = [], []
    running = DBTaskResult.objects.running().filter(backend_name=backend_name)
    paths = running.order_by().values_list("task_path", flat=True).distinct()
    for task_path in sorted(paths):
        task_ = _declared(task_path)
        # A task of the library's own, or one no longer declared: the default.
        limit = getattr(task_, "run_time_limit", None) or default_run_time_limit()
        retries = getattr(task_, "retry_lost", 0)
        with exclusive_transaction(running.db):
            abandoned = running.filter(
                task_path=task_path, started_at__lt=timezone.now() - limit
            ).select_for_update(skip_locked=True)
            for result in abandoned:
                if len(result.worker_ids) <= retries:
                    # It keeps its place in the queue (enqueued_at).
                    DBTaskResult.objects.filter(pk=result.pk).update(**_READY_AGAIN)
                    queued.append(result)
                    outcome = "queued again"
                else:
                    result.set_failed(_worker_lost(result))
                    failed.append(result)
                    outcome = "failed"
                logger.warning(
                    "Task %s (%s), running since %s, was abandoned by its worker: %s",
                    result.pk,
                    task_path,
                    result.started_at,
                    outcome,
                )
    return queued, failed


def _declared(task_path):
    """The task declared at `task_path`, or None if there is none any more."""
    try:
        return import_string(task_path)
    except ImportError:
        return None


def fail_abandoned(task_, *, started_before=None, **kwargs):
    """Record as failed the runs of `task_` marked running since before `started_before`; answer them.

    By default, the runs longer than the task's `run_time_limit` (the
    worker recovers those by itself, sooner or later: this is for a
    manager who is waiting). `kwargs` narrows them to the runs called with
    these keyword arguments. Each gets the library's failed state, with a
    `WorkerLost` error that says why, and is listed under the failed tasks. Only the database
    queue keeps such records: with Redis (RQ) a job whose worker died is
    failed by RQ itself, as abandoned.
    """
    if not isinstance(task_.get_backend(), DatabaseBackend):
        return []
    if started_before is None:
        started_before = timezone.now() - task_.run_time_limit
    results = DBTaskResult.objects.running().filter(
        task_path=task_.module_path, started_at__lt=started_before
    )
    for name, value in kwargs.items():
        results = results.filter(**{f"args_kwargs__kwargs__{name}": value})
    with exclusive_transaction(results.db):
        abandoned = list(results.select_for_update(skip_locked=True))
        for result in abandoned:
            result.set_failed(_worker_lost(result))
    return abandoned
