"""What a notification says: the template chosen for an event (the product's choice, else the event's
Default), in the reader's language (else English, else the built-in text), rendered in the sandbox."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation

from moorage.notifications import events, sandbox, templates_builtin
from moorage.notifications.models import (
    NotificationTemplate,
    NotificationTemplateText,
    ProductNotificationTemplate,
)

log = logging.getLogger(__name__)
FALLBACK_LANGUAGE = "en"
TEXT_FIELDS = ("subject", "text", "html", "push_title", "push_text")


@dataclass(frozen=True)
class Composed:
    """One notification's rendered texts, the language they are in and where they came from."""

    subject: str
    text: str
    html: str
    push_title: str
    push_text: str
    language: str
    source: str  # "template #12" or "built-in"


def _one_line(value: str, limit: int) -> str:
    return re.sub(r"\s+", " ", value).strip()[:limit]


def render_texts(texts: dict[str, str], context: dict[str, Any], *, language: str) -> dict[str, str]:
    """Render each text (subject, text, html, push_title, push_text) in the sandbox, in `language`
    (dates are written the reader's way). Raises sandbox.TemplateError for the first that fails."""
    out: dict[str, str] = {}
    with translation.override(language):
        for name in TEXT_FIELDS:
            source = texts.get(name) or ""
            out[name] = sandbox.render(source, context, html=name == "html") if source else ""
    out["subject"] = _one_line(out["subject"], 300)
    out["push_title"] = _one_line(out["push_title"], 200)
    out["push_text"] = _one_line(out["push_text"], 500)
    return out


def stored_texts(row: NotificationTemplateText) -> dict[str, str]:
    return {
        "subject": row.subject,
        "text": row.text_body,
        "html": row.html_body,
        "push_title": row.push_title,
        "push_text": row.push_text,
    }


def chosen_template(event: str, product_id: int | None) -> NotificationTemplate | None:
    """The product's choice for the event, else the event's Default variant (None before install)."""
    if product_id is not None and events.get(event).per_product:
        choice = ProductNotificationTemplate.objects.filter(product_id=product_id, event=event).first()
        if choice is not None:
            return choice.template
    return NotificationTemplate.objects.filter(event=event, is_default=True).first()


def compose(
    event: str,
    context: dict[str, Any],
    *,
    language: str,
    product_id: int | None = None,
    template: NotificationTemplate | None = None,
) -> Composed:
    """The texts of one notification. `context` must already be plain data (notifications.context).
    A stored template that fails to render is logged and replaced by the built-in text; this never raises."""
    template = template or chosen_template(event, product_id)
    if template is not None:
        rows = {row.language: row for row in template.texts.all()}
        row = rows.get(language) or rows.get(FALLBACK_LANGUAGE)
        if row is not None:
            try:
                out = render_texts(stored_texts(row), context, language=row.language)
                return Composed(**out, language=row.language, source=f"template #{template.pk}")
            except sandbox.TemplateError as exc:
                log.warning(
                    "notification template #%s (%s, %s) failed to render, using the built-in text: %s",
                    template.pk,
                    event,
                    row.language,
                    sandbox.error_line(exc),
                )
    return builtin_composed(event, context, language=language)


def builtin_composed(event: str, context: dict[str, Any], *, language: str) -> Composed:
    lang = language if templates_builtin.builtin(event, language) else FALLBACK_LANGUAGE
    texts = templates_builtin.builtin(event, lang) or {}
    try:
        out = render_texts(texts, context, language=lang)
    except sandbox.TemplateError:  # a bug in a built-in text: still send something true
        log.exception("built-in notification template %s (%s) failed to render", event, lang)
        label = str(events.get(event).label)
        out = {"subject": label, "text": label, "html": "", "push_title": label, "push_text": ""}
    return Composed(**out, language=lang, source="built-in")


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def install_defaults(*, now: dt.datetime, reset: bool = False) -> int:
    """Create each event's Default variant with the built-in texts in every language that lacks one;
    `reset=True` also puts the built-in texts back into the existing Default variants. Returns the
    number of texts written."""
    written = 0
    for code in events.EVENTS:
        with transaction.atomic():
            template = NotificationTemplate.objects.select_for_update().filter(event=code, is_default=True).first()
            if template is None:
                try:
                    with transaction.atomic():
                        template = NotificationTemplate.objects.create(
                            event=code, name="Default", is_default=True, created_at=now, updated_at=now
                        )
                except IntegrityError:  # a variant staff named "Default", or a concurrent install
                    template = NotificationTemplate.objects.filter(event=code).order_by("-is_default", "pk").first()
                    if template is None:
                        continue
            have = set(template.texts.values_list("language", flat=True))
            before = written
            for lang in templates_builtin.languages(code):
                texts = templates_builtin.builtin(code, lang)
                if texts is None or (lang in have and not reset):
                    continue
                NotificationTemplateText.objects.update_or_create(
                    template=template,
                    language=lang,
                    defaults={
                        "subject": texts["subject"],
                        "text_body": texts["text"],
                        "html_body": texts["html"],
                        "push_title": texts["push_title"],
                        "push_text": texts["push_text"],
                    },
                )
                written += 1
            if written > before:
                template.updated_at = now
                template.save(update_fields=["updated_at"])
    return written
