"""Delivering notifications (email, Web Push) at most once each, with recorded attempts and backoff.

A row goes queued → sending (claimed by one worker under a row lock) → sent / queued again with a
later `next_attempt_at` / failed. The remote call (SMTP, push service) happens between two short
transactions, never inside one. A row a crashed worker left `sending` is not sent again by itself:
it may have gone out, so `mark_stale_sending` turns it into `unknown` for staff to check and resend.

`now` is the moment the caller runs at: the real time for the worker and `moorage cron` (it drives
the backoff), a fixed moment in tests.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from moorage.core.actions import audit
from moorage.core.errors import Conflict, DomainError, NotFound
from moorage.core.models import User
from moorage.customers.models import Client
from moorage.notifications.models import DeliveryAttempt, Notification

log = logging.getLogger(__name__)

S = Notification.Status
O = DeliveryAttempt.Outcome  # noqa: E741

# Wait after the 1st, 2nd, … failed attempt of a round; one more failure after the last → failed.
RETRY_DELAYS = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=12),
)
# A row `sending` for longer than this lost its worker (an SMTP send takes seconds, its timeout is
# far shorter): shown as unknown.
SENDING_TIMEOUT = dt.timedelta(minutes=15)
# A client may ask for this many resends per hour (staff are not limited).
CLIENT_RESEND_LIMIT = 5
ERROR_MAX = 2000
# Which rows a resend may take: the ones whose delivery is over (sent, failed or unknown).
RESENDABLE = (S.SENT, S.FAILED, S.UNKNOWN)


@dataclass(frozen=True)
class Result:
    outcome: str  # a DeliveryAttempt.Outcome other than sending / unknown
    error: str = ""


def enqueue(notification_id: int, *, run_after: dt.datetime | None = None) -> None:
    """Wake a worker for the row (at `run_after`); a lost wake-up loses nothing (`moorage cron`)."""
    from moorage.notifications.tasks import send_notification

    try:
        (send_notification.using(run_after=run_after) if run_after else send_notification).enqueue(notification_id)
    except Exception:  # the row stays queued; cron wakes a worker for it
        log.exception("could not enqueue notification %s", notification_id)


def _due(now: dt.datetime):  # noqa: ANN202
    return Notification.objects.filter(status=S.QUEUED).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def _claim(notification_id: int, now: dt.datetime) -> tuple[Notification, DeliveryAttempt] | None:
    """Take the row for this worker alone: `sending`, with its attempt recorded, committed before any send."""
    with transaction.atomic(durable=True):
        row = _due(now).select_for_update(skip_locked=True).filter(pk=notification_id).first()
        if row is None:
            return None
        row.attempts += 1
        row.status = S.SENDING
        attempt = DeliveryAttempt.objects.create(
            notification=row,
            number=row.attempts,
            channel=row.channel,
            resend_by=row.resend_by,
            started_at=now,
        )
        row.resend_by = ""
        row.save(update_fields=["attempts", "status", "resend_by"])
    return row, attempt


def _is_permanent(exc: Exception) -> bool:
    """The mail server refused the message for good (5xx for every recipient): retrying cannot help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_MAX]


def _send_email(row: Notification) -> Result:
    if not row.to_email:
        return Result(O.FAILED, "no email address")
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to_email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    if row.html_body:
        message.attach_alternative(row.html_body, "text/html")
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001  (any backend: recorded on the attempt)
        return Result(O.FAILED if _is_permanent(exc) else O.RETRY, _describe(exc))
    return Result(O.SENT)


def _push_url(row: Notification) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        if row.service_id:
            return reverse("clientarea:service", args=[row.service_id])
        return reverse("clientarea:dashboard")
    except NoReverseMatch:
        return "/"


def _send_push(row: Notification, now: dt.datetime) -> Result:
    from moorage.push.sender import push_to_client

    if row.client_id is None:
        return Result(O.SKIPPED, "a mobile notification needs a client")
    outcome = push_to_client(
        client_id=row.client_id,
        payload={"title": row.subject, "body": row.body, "url": _push_url(row), "tag": f"moorage-{row.pk}"},
        now=now,
    )
    if outcome.devices == 0:
        return Result(O.SKIPPED, "no device: the client has not allowed mobile notifications")
    error = "; ".join(outcome.errors)[:ERROR_MAX]
    if outcome.delivered:  # at least one device has it: never sent again, other devices' errors kept
        return Result(O.SENT, error)
    if outcome.gone == outcome.devices:
        return Result(O.FAILED, error or "every device unsubscribed")
    return Result(O.RETRY, error)


def _finish(row: Notification, attempt: DeliveryAttempt, result: Result, *, now: dt.datetime, elapsed: float) -> str:
    """Record the attempt's answer and the row's next state (one short transaction)."""
    retry_at = None
    with transaction.atomic(durable=True):
        # Only the worker's own claim: a staff resend since then (of an `unknown` row) has its own.
        current = (
            Notification.objects.select_for_update()
            .filter(pk=row.pk, attempts=attempt.number, status__in=[S.SENDING, S.UNKNOWN])
            .first()
        )
        attempt.finished_at = now + dt.timedelta(seconds=elapsed)
        attempt.outcome, attempt.error = result.outcome, result.error
        attempt.save(update_fields=["finished_at", "outcome", "error"])
        if current is None:
            return attempt.outcome
        current.last_error = result.error
        if result.outcome == O.SENT:
            current.status, current.sent_at, current.next_attempt_at = S.SENT, now, None
        elif result.outcome == O.SKIPPED:
            current.status, current.next_attempt_at = S.SKIPPED, None
        elif result.outcome == O.RETRY and current.round_failures < len(RETRY_DELAYS):
            retry_at = now + RETRY_DELAYS[current.round_failures]
            current.round_failures += 1
            current.status, current.next_attempt_at = S.QUEUED, retry_at
        else:  # a permanent refusal, or the last retry of the round failed too
            if result.outcome == O.RETRY:
                attempt.outcome = O.FAILED
                attempt.save(update_fields=["outcome"])
            current.round_failures += 1
            current.status, current.next_attempt_at = S.FAILED, None
        current.save(update_fields=["status", "sent_at", "next_attempt_at", "last_error", "round_failures"])
        if retry_at is not None:
            pk = current.pk
            real_delay = retry_at - now
            transaction.on_commit(lambda: enqueue(pk, run_after=_real_now() + real_delay))
        return current.status


def _real_now() -> dt.datetime:
    from django.utils import timezone

    return timezone.now()


def deliver(notification_id: int, *, now: dt.datetime) -> str:
    """Send one due notification once (outside any transaction); returns its new status, or
    "not due" when it is not queued, not due yet, or another worker holds it."""
    claimed = _claim(notification_id, now)
    if claimed is None:
        return "not due"
    row, attempt = claimed
    started = time.monotonic()
    try:
        result = _send_push(row, now) if row.channel == Notification.Channel.PUSH else _send_email(row)
    except Exception as exc:  # noqa: BLE001  (a bug in a backend must not leave the row `sending`)
        log.exception("delivering notification %s", row.pk)
        result = Result(O.RETRY, _describe(exc))
    return _finish(row, attempt, result, now=now, elapsed=time.monotonic() - started)


def deliver_pending(*, now: dt.datetime, limit: int = 1000) -> int:
    """Send every due notification (queued, its next attempt's time reached); returns how many went out."""
    sent = 0
    for pk in list(_due(now).order_by("pk").values_list("pk", flat=True)[:limit]):
        if deliver(pk, now=now) == S.SENT:
            sent += 1
    return sent


def mark_stale_sending(*, now: dt.datetime) -> int:
    """Rows left `sending` by a worker that stopped (crash, kill): `unknown`, for staff to check.
    Never re-sent by itself: the message may already have arrived."""
    cutoff = now - SENDING_TIMEOUT
    marked = 0
    stale = list(
        Notification.objects.filter(status=S.SENDING)
        .filter(delivery_attempts__outcome=O.SENDING, delivery_attempts__started_at__lt=cutoff)
        .values_list("pk", flat=True)
        .distinct()[:5000]
    )
    for pk in stale:
        with transaction.atomic(durable=True):
            row = Notification.objects.select_for_update().filter(pk=pk, status=S.SENDING).first()
            if row is None:
                continue
            note = "the worker stopped while sending: it may or may not have been delivered"
            DeliveryAttempt.objects.filter(notification=row, number=row.attempts, outcome=O.SENDING).update(
                outcome=O.UNKNOWN, error=note
            )
            row.status, row.last_error = S.UNKNOWN, note
            row.save(update_fields=["status", "last_error"])
            marked += 1
    return marked


def requeue_lost(*, now: dt.datetime) -> int:
    """Wake a worker for each row due for more than five minutes that no worker took (a lost wake-up)."""
    stale = now - dt.timedelta(minutes=5)
    rows = list(
        Notification.objects.filter(status=S.QUEUED)
        .filter(Q(next_attempt_at__isnull=True, queued_at__lt=stale) | Q(next_attempt_at__lt=stale))
        .values_list("pk", flat=True)[:5000]
    )
    for pk in rows:
        enqueue(pk)
    return len(rows)


def notification_resend(
    *, notification_id: int, now: dt.datetime, actor: User, client: Client | None = None
) -> Notification:
    """Queue a delivered, failed or unknown notification again: the next attempt is recorded on the
    same row (its history kept), never a second row for the event.

    `client` set: the client's own request (their own client notifications only, rate limited).
    """
    with transaction.atomic(durable=True):
        if client is not None:
            # The client row is the rate limit's lock: two resends at once count one after the other.
            Client.objects.select_for_update().filter(pk=client.pk).first()
            recent = _client_resends(client=client, since=now - dt.timedelta(hours=1))
            if recent >= CLIENT_RESEND_LIMIT:
                raise DomainError(
                    _("You can resend %(limit)s emails an hour; please try again later.")
                    % {"limit": CLIENT_RESEND_LIMIT},
                    code="rate_limited",
                )
        rows = Notification.objects.select_for_update()
        if client is not None:
            rows = rows.filter(client=client, audience=Notification.Audience.CLIENT)
        row = rows.filter(pk=notification_id).first()
        if row is None:
            raise NotFound(_("No such notification."))
        if row.status not in RESENDABLE:
            raise Conflict(_("This notification is still being delivered."), code="not_resendable")
        row.status, row.next_attempt_at, row.round_failures = S.QUEUED, None, 0
        row.resend_by = "client" if client is not None else f"staff:{actor.email}"
        row.save(update_fields=["status", "next_attempt_at", "round_failures", "resend_by"])
        audit(
            actor=actor,
            action="notification_resend_client" if client is not None else "notification_resend",
            obj=row,
            now=now,
            message=f"resend of {row.template} to {row.to_email}",
            data={"client_id": client.pk} if client is not None else {},
        )
        transaction.on_commit(lambda: enqueue(row.pk))
    return row


def _client_resends(*, client: Client, since: dt.datetime) -> int:
    from moorage.core.models import AuditEntry

    return AuditEntry.objects.filter(
        action="notification_resend_client", data__client_id=client.pk, created_at__gte=since
    ).count()


PUSH_TEST_TEMPLATE = "push_test"
PUSH_TEST_LIMIT = 5  # test notifications a client may send per hour


def notification_push_test(*, client: Client, now: dt.datetime) -> Notification:
    """A test mobile notification to each of the client's devices (from their profile), delivered
    and recorded like any other; at most PUSH_TEST_LIMIT an hour."""
    import uuid

    from django.utils import translation

    from moorage.push.models import PushSubscription

    with transaction.atomic(durable=True):
        Client.objects.select_for_update().filter(pk=client.pk).first()  # counts one request after another
        if not PushSubscription.objects.filter(client=client, active=True).exists():
            raise DomainError(_("Allow notifications on a device first."), code="no_device")
        recent = Notification.objects.filter(
            client=client, template=PUSH_TEST_TEMPLATE, created_at__gte=now - dt.timedelta(hours=1)
        ).count()
        if recent >= PUSH_TEST_LIMIT:
            raise DomainError(
                _("You can send %(limit)s test notifications an hour; please try again later.")
                % {"limit": PUSH_TEST_LIMIT},
                code="rate_limited",
            )
        with translation.override(getattr(client, "language", "") or None):
            subject = _("Test notification")
            body = _("Notifications from %(company)s reach this device.") % {"company": settings.MOORAGE_COMPANY_NAME}
        row = Notification.objects.create(
            client=client,
            template=PUSH_TEST_TEMPLATE,
            channel=Notification.Channel.PUSH,
            language=getattr(client, "language", ""),
            dedupe_key=f"{PUSH_TEST_TEMPLATE}:{client.pk}:{uuid.uuid4().hex}",
            to_email=client.user.email,
            subject=subject,
            body=body,
            created_at=now,
        )
        transaction.on_commit(lambda: enqueue(row.pk))
    return row
