"""Staff area: every notification (the clients' related emails, staff emails, mobile notifications)
with its delivery attempts and Resend, the notification templates editor with its preview, each
product's Emails section, and which staff receive which staff notifications."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from moorage.catalog.admin import product_page_link
from moorage.catalog.models import Product
from moorage.core import clock
from moorage.core.admin_views import ReadOnlyAdmin, ReadOnlyTabularInline, add_domain_error, form_page
from moorage.core.errors import DomainError
from moorage.core.models import User
from moorage.notifications import events, sandbox, texts
from moorage.notifications.actions import product_templates_save, template_duplicate, template_make_default
from moorage.notifications.delivery import RESENDABLE, notification_resend
from moorage.notifications.models import (
    DeliveryAttempt,
    Notification,
    NotificationTemplate,
    NotificationTemplateText,
    StaffNotificationRecipient,
)

# Events whose body carries a credential: shown to the client who received it, never to staff.
SECRET_EVENTS = frozenset({"password_reset"})


class DeliveryAttemptInline(ReadOnlyTabularInline):
    model = DeliveryAttempt
    fields = ["number", "channel", "resend_by", "started_at", "finished_at", "outcome", "error"]
    readonly_fields = fields
    verbose_name_plural = _("Delivery attempts")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The attempts are part of the notification: who may view it sees them.
        return request.user.has_perm("notifications.view_notification")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "template",
        "channel",
        "to_email",
        "subject",
        "status",
        "attempts",
        "error_short",
        "sent_at",
        "client",
    ]
    list_filter = ["status", "channel", "template", "audience"]
    search_fields = ["to_email", "subject", "dedupe_key"]
    readonly_fields = [
        "client",
        "audience",
        "template",
        "channel",
        "language",
        "dedupe_key",
        "to_email",
        "subject",
        "body",
        "html_body",
        "service_id",
        "invoice_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    ]
    inlines = [DeliveryAttemptInline]
    actions = ["resend_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Notification | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.template in SECRET_EVENTS:
            # A password-reset link signs its holder in as the client: staff who may read emails
            # must not be able to use it (Resend still sends it to the client's own address).
            fields = [("hidden_body" if f == "body" else f) for f in fields if f != "html_body"]
        return fields

    def get_fields(self, request: HttpRequest, obj: Notification | None = None) -> list[str]:
        # Read-only pages list every model field unless told: show exactly the read-only ones.
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("Body"))
    def hidden_body(self, obj: Notification) -> str:
        return gettext("Hidden: it carries a single-use sign-in link meant for the client only.")

    @admin.display(description=_("Error"))
    def error_short(self, obj: Notification) -> str:
        return obj.last_error[:120] if obj.status != Notification.Status.SENT else ""

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.resend_notification")

    @admin.action(description=_("Resend the selected notifications"), permissions=["resend"])
    def resend_selected(self, request: HttpRequest, queryset: Any) -> None:
        done = 0
        for row in queryset.order_by("pk"):
            if row.status not in RESENDABLE:
                messages.warning(
                    request, gettext("#%(id)s is %(status)s: not resent.") % {"id": row.pk, "status": row.status}
                )
                continue
            try:
                notification_resend(notification_id=row.pk, now=clock.now(), actor=request.user)
            except DomainError as exc:
                messages.error(request, f"#{row.pk}: {exc.message}")
            else:
                done += 1
        if done:
            messages.success(request, gettext("%(count)s notification(s) queued to be sent again.") % {"count": done})


SYNTAX_HELP = _(
    "Jinja2 syntax: {{ client.name }}, {% if reason %}…{% endif %}, {% for line in invoice.lines %}…{% endfor %}. "
    "Filters: |date, |money(currency), |default('…'), |upper, |truncate(40) and a few more. Unknown variables "
    "render as nothing; include, import, macros and method calls are not available. The HTML body escapes "
    "every variable."
)


def _check_text(source: str, *, html: bool, event: events.Event | None) -> None:
    """A template's text is accepted when it compiles in the sandbox and renders the event's sample."""
    if not source:
        return
    try:
        sandbox.compile_source(source, html=html)
        if event is not None:
            sandbox.render(source, event.sample_context(), html=html)
    except sandbox.TemplateError as exc:
        raise forms.ValidationError(sandbox.error_line(exc)) from None


class TemplateTextForm(forms.ModelForm):
    """One language's texts; each is checked in the sandbox (a syntax error names its line)."""

    language = forms.ChoiceField(choices=[])

    class Meta:
        model = NotificationTemplateText
        fields = ["language", "subject", "text_body", "html_body", "push_title", "push_text"]
        widgets = {
            "subject": forms.TextInput(attrs={"size": 100}),
            "text_body": forms.Textarea(attrs={"rows": 12, "cols": 100, "class": "vLargeTextField"}),
            "html_body": forms.Textarea(attrs={"rows": 12, "cols": 100, "class": "vLargeTextField"}),
            "push_title": forms.TextInput(attrs={"size": 60}),
            "push_text": forms.TextInput(attrs={"size": 100}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.conf import settings

        self.fields["language"].choices = list(settings.LANGUAGES)

    def _event(self) -> events.Event | None:
        parent = getattr(self.instance, "template", None) if self.instance.template_id else None
        code = parent.event if parent else getattr(self, "parent_event", None)
        return events.EVENTS.get(code) if code else None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        event = self._event()
        for name, html in (
            ("subject", False),
            ("text_body", False),
            ("html_body", True),
            ("push_title", False),
            ("push_text", False),
        ):
            try:
                _check_text(data.get(name) or "", html=html, event=event)
            except forms.ValidationError as exc:
                self.add_error(name, exc)
        return data


class TemplateTextInline(admin.StackedInline):
    model = NotificationTemplateText
    form = TemplateTextForm
    extra = 0
    min_num = 1
    verbose_name = _("language")
    verbose_name_plural = _("texts per language")

    def get_extra(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> int:
        return 2 if obj is None else 0

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        event = obj.event if obj is not None else request.POST.get("event") or request.GET.get("event")

        class WithEvent(formset):  # type: ignore[misc, valid-type]
            def _construct_form(self, i: int, **kw: Any) -> Any:
                form = super()._construct_form(i, **kw)
                form.parent_event = event
                return form

        return WithEvent


class TemplateForm(forms.ModelForm):
    event = forms.ChoiceField(choices=[])

    class Meta:
        model = NotificationTemplate
        fields = ["event", "name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "event" not in self.fields:  # read-only once the template exists
            return
        self.fields["event"].choices = [
            (e.code, f"{'Client' if e.audience == events.CLIENT else 'Staff'}: {e.label}")
            for e in events.EVENTS.values()
        ]


class AudienceFilter(admin.SimpleListFilter):
    title = _("audience")
    parameter_name = "audience"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(events.CLIENT, _("Client")), (events.STAFF, _("Staff"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in (events.CLIENT, events.STAFF):
            codes = [e.code for e in events.EVENTS.values() if e.audience == self.value()]
            return queryset.filter(event__in=codes)
        return queryset


class EventFilter(admin.SimpleListFilter):
    title = _("event")
    parameter_name = "event"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return events.choices()

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(event=self.value()) if self.value() else queryset


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin):
    """Settings → Notification templates: every event's templates, their texts per language, a preview."""

    form = TemplateForm
    inlines = [TemplateTextInline]
    list_display = ["event_label", "audience", "name", "is_default", "languages", "products", "updated_at"]
    list_filter = [AudienceFilter, EventFilter]
    search_fields = ["name", "event", "texts__subject"]
    actions = ["duplicate_selected", "make_default"]
    change_form_template = "admin/notifications/notificationtemplate/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["event"] if obj is not None else []

    def get_formset_kwargs(self, request: HttpRequest, obj: Any, inline: Any, prefix: str) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if request.method == "GET" and (obj is None or obj.pk is None):  # a new template: one text per language
            from django.conf import settings

            kwargs["initial"] = [{"language": code} for code, _name in settings.LANGUAGES]
        return kwargs

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(product_count=Count("product_choices", distinct=True))

    @admin.display(description=_("Event"), ordering="event")
    def event_label(self, obj: NotificationTemplate) -> str:
        event = events.EVENTS.get(obj.event)
        return str(event.label) if event else obj.event

    @admin.display(description=_("Audience"))
    def audience(self, obj: NotificationTemplate) -> str:
        event = events.EVENTS.get(obj.event)
        return event.audience if event else "-"

    @admin.display(description=_("Languages"))
    def languages(self, obj: NotificationTemplate) -> str:
        return ", ".join(obj.texts.values_list("language", flat=True))

    @admin.display(description=_("Products"), ordering="product_count")
    def products(self, obj: NotificationTemplate) -> int:
        return obj.product_count  # type: ignore[attr-defined]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_default:
            return False  # an event always has its Default
        return super().has_delete_permission(request, obj)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if self.has_add_permission(request):
            missing = set(events.EVENTS) - set(NotificationTemplate.objects.values_list("event", flat=True))
            if missing:  # first use (or new events after an upgrade): install the built-in Defaults
                texts.install_defaults(now=clock.now())
        return super().changelist_view(request, extra_context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if obj is not None and obj.event in events.EVENTS:
            event = events.EVENTS[obj.event]
            extra.update(event=event, event_variables=sorted(event.all_variables.items()), syntax_help=SYNTAX_HELP)
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self):  # noqa: ANN201
        wrap = self.admin_site.admin_view
        return [
            path("preview/", wrap(self.preview_view), name="notifications_notificationtemplate_preview"),
            path(
                "product/<int:product_id>/",
                wrap(self.product_emails_view),
                name="notifications_product_emails",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=_("Duplicate selected templates"), permissions=["add"])
    def duplicate_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        for template in queryset.order_by("pk"):
            copy = template_duplicate(template_id=template.pk, now=clock.now(), actor=request.user)
            messages.success(request, gettext("Created %(template)s.") % {"template": copy})

    @admin.action(description=_("Make the selected template its event's Default"), permissions=["change"])
    def make_default(self, request: HttpRequest, queryset: QuerySet) -> None:
        if queryset.values("event").distinct().count() != queryset.count():
            messages.error(request, gettext("Choose at most one template per event."))
            return
        for template in queryset.order_by("pk"):
            template_make_default(template_id=template.pk, now=clock.now(), actor=request.user)
        messages.success(request, gettext("Default templates changed."))

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """Render a template on its event's sample data in the sandbox: the stored texts
        (GET ?template=<id>) or the editor's unsaved ones (POST from the change form)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        source = request.POST if request.method == "POST" else request.GET
        template = None
        template_id = source.get("template") or request.GET.get("template")
        if template_id:
            if not str(template_id).isdigit():
                raise Http404("no such template")
            template = get_object_or_404(NotificationTemplate, pk=template_id)
        code = template.event if template is not None else source.get("event", "")
        event = events.EVENTS.get(code)
        if event is None:
            raise Http404("no such event")
        if request.method == "POST":
            language_texts = _posted_texts(request.POST)
        elif template is not None:
            language_texts = [(row.language, texts.stored_texts(row)) for row in template.texts.order_by("language")]
        else:
            language_texts = []
        previews = []
        for language, raw in language_texts:
            try:
                out = texts.render_texts(raw, event.sample_context(), language=language)
                previews.append({"language": language, "error": "", **out})
            except sandbox.TemplateError as exc:
                previews.append({"language": language, "error": sandbox.error_line(exc)})
        return form_page(
            request,
            self,
            title=gettext("Preview: %(event)s") % {"event": event.label} + (f" ({template.name})" if template else ""),
            obj=template,
            template="admin/notifications/notificationtemplate/preview.html",
            event=event,
            previews=previews,
            event_variables=sorted(event.all_variables.items()),
        )

    def product_emails_view(self, request: HttpRequest, product_id: int) -> HttpResponse:
        """The product's Emails section: for each client event, the template it uses ("Change")."""
        product = get_object_or_404(Product, pk=product_id)
        if not (request.user.has_perm("catalog.view_product") and self.has_view_permission(request)):
            raise PermissionDenied
        can_change = request.user.has_perm("catalog.change_product")
        per_product = [e for e in events.EVENTS.values() if e.per_product]
        variants: dict[str, list[NotificationTemplate]] = {e.code: [] for e in per_product}
        for template in NotificationTemplate.objects.filter(event__in=variants).order_by(
            "event", "-is_default", "name"
        ):
            variants[template.event].append(template)
        form = ProductEmailsForm(
            request.POST or None, product_id=product.pk, per_product=per_product, variants=variants
        )
        if request.method == "POST":
            if not can_change:
                raise PermissionDenied
            if form.is_valid():
                choices = {code: (int(v) if v else None) for code, v in form.cleaned_data.items()}
                try:
                    product_templates_save(product=product, choices=choices, now=clock.now(), actor=request.user)
                except DomainError as exc:
                    add_domain_error(form, exc)
                else:
                    messages.success(request, gettext("Emails of %(product)s saved.") % {"product": product.name})
                    return HttpResponseRedirect(request.path)
        return form_page(
            request,
            self,
            title=gettext("Emails: %(product)s") % {"product": product.name},
            form=form,
            intro=gettext(
                "Each client notification of this product's services uses the template chosen here; "
                "“Default” follows the event's default template. Edit the templates in Notification templates."
            ),
            can_change=can_change,
            submit_label=gettext("Save") if can_change else "",
            template="admin/notifications/notificationtemplate/product_emails.html",
            product=product,
        )


class ProductEmailsForm(forms.Form):
    def __init__(
        self,
        *args: Any,
        product_id: int,
        per_product: list[events.Event],
        variants: dict[str, list[NotificationTemplate]],
        **kwargs: Any,
    ) -> None:
        from moorage.notifications.models import ProductNotificationTemplate

        current = dict(
            ProductNotificationTemplate.objects.filter(product_id=product_id).values_list("event", "template_id")
        )
        super().__init__(*args, initial={code: current.get(code) or "" for code in variants}, **kwargs)
        for event in per_product:
            options = [("", gettext("Default (the event's default template)"))] + [
                (str(t.pk), t.name + (gettext(" (default)") if t.is_default else "")) for t in variants[event.code]
            ]
            self.fields[event.code] = forms.ChoiceField(
                label=event.label, choices=options, required=False, help_text=event.description
            )


def _posted_texts(data: Any) -> list[tuple[str, dict[str, str]]]:
    """The per-language texts of the change form's inline ("texts-N-…"), as the editor holds them."""
    try:
        total = min(int(data.get("texts-TOTAL_FORMS", "0")), 10)
    except ValueError:
        total = 0
    found = []
    for i in range(total):
        prefix = f"texts-{i}-"
        if data.get(prefix + "DELETE"):
            continue
        language = data.get(prefix + "language", "")
        if not language:
            continue
        found.append(
            (
                language[:10],
                {
                    "subject": data.get(prefix + "subject", ""),
                    "text": data.get(prefix + "text_body", ""),
                    "html": data.get(prefix + "html_body", ""),
                    "push_title": data.get(prefix + "push_title", ""),
                    "push_text": data.get(prefix + "push_text", ""),
                },
            )
        )
    return found


class RecipientForm(forms.ModelForm):
    event = forms.ChoiceField(choices=[])

    class Meta:
        model = StaffNotificationRecipient
        fields = ["event", "user"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event"].choices = events.choices(events.STAFF)
        self.fields["user"].queryset = User.objects.filter(is_staff=True, is_active=True).order_by("email")


@admin.register(StaffNotificationRecipient)
class StaffNotificationRecipientAdmin(admin.ModelAdmin):
    """Which staff receive which staff notifications. An event nobody is chosen for goes to every
    active staff member."""

    form = RecipientForm
    list_display = ["event_label", "user"]
    list_filter = ["event"]

    @admin.display(description=_("Event"), ordering="event")
    def event_label(self, obj: StaffNotificationRecipient) -> str:
        event = events.EVENTS.get(obj.event)
        return str(event.label) if event else obj.event


@product_page_link
def _emails_link(request: HttpRequest, product: Product) -> tuple[str, str] | None:
    if not (
        request.user.has_perm("catalog.view_product")
        and request.user.has_perm("notifications.view_notificationtemplate")
    ):
        return None
    return gettext("Emails"), reverse("admin:notifications_product_emails", args=[product.pk])
