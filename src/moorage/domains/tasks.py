"""Background entry points: a task only wakes a worker for a domain job row that already exists."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import task

log = logging.getLogger(__name__)


@task()
def run_domain_job(job_id: int) -> str:
    from moorage.domains.jobs import run_job

    job = run_job(job_id, now=timezone.now())
    return job.status if job else "not due"


def enqueue_job(job_id: int, when: dt.datetime | None = None, *, scheduled_from: dt.datetime | None = None) -> None:
    """Wake a worker for the job at `when`. A failure to enqueue loses nothing: the automation run's
    domain step runs every due job row."""
    real_now = timezone.now()
    run_after = None
    if when is not None:
        delay = when - (scheduled_from or real_now)
        if delay > dt.timedelta(0):
            run_after = real_now + delay
    try:
        (run_domain_job.using(run_after=run_after) if run_after else run_domain_job).enqueue(job_id)
    except Exception:  # the job row stays; the automation run picks it up
        log.exception("could not enqueue domain job %s", job_id)
