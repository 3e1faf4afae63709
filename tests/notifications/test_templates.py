"""Editable notification templates: the sandbox, the choice of template (product, language, fallback),
the staff editor and its preview, each product's Emails section and the staff recipients."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from moorage.core.models import User
from moorage.notifications import events, sandbox, templates_builtin, texts
from moorage.notifications.actions import notify, notify_staff, product_templates_save, template_duplicate
from moorage.notifications.models import (
    Notification,
    NotificationTemplate,
    NotificationTemplateText,
    StaffNotificationRecipient,
)
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

HOSTILE = [
    "{{ settings.SECRET_KEY }}",
    "{{ client.__class__.__mro__ }}",
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ client.user.set_password('x') }}",
    "{{ client.user.password }}",
    "{{ cycler.__init__.__globals__ }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}",
    "{% extends '/etc/passwd' %}",
    "{{ lipsum.__globals__ }}",
    "{{ self }}",
    "{{ self.__init__.__globals__ }}",
    "{{ namespace }}{{ joiner }}{{ config }}{{ request }}",
    "{{ service.product.__class__ }}{{ invoice.total.__class__ }}",
    "{{ invoice.due_date.strftime('%Y' * 100000) }}",
    "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}x"
    "{% endfor %}{% endfor %}{% endfor %}",
    "{{ 'x' * 1000000000 }}",
    "{{ 10 ** 10 ** 10 }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ 'x'.ljust(1000000000) }}",
    "{% autoescape false %}{{ client.name }}{% endautoescape %}",
    "{{ client.items }}{{ client.name.upper }}{{ range }}{{ client.keys() }}",
]
LEAKS = ["SECRET", settings.SECRET_KEY, "class", "root:", "argon2", "module", "function", "Template", "globals"]


@pytest.fixture
def service(client_account, starter, now):
    return factories.paid_service(client_account, starter, now=now, hostname="shop.example.com")


def _default(event: str) -> NotificationTemplate:
    return NotificationTemplate.objects.get(event=event, is_default=True)


def _set_text(template: NotificationTemplate, language: str = "en", **fields: str) -> None:
    NotificationTemplateText.objects.update_or_create(
        template=template,
        language=language,
        defaults={"subject": "S", "text_body": "T", "html_body": "", **fields},
    )


def _russian(now):  # noqa: ANN001, ANN202
    client = factories.client(now=now)
    client.language = "ru"
    client.save(update_fields=["language"])
    return client


def _suspend_mail(client, service, now, key="k1"):  # noqa: ANN001, ANN202
    with transaction.atomic():
        return notify(
            template="account_suspended",
            client=client,
            dedupe_key=key,
            now=now,
            context={"service": service, "reason": "unpaid invoice 000001"},
            service_id=service.pk,
        )


# The sandbox ---------------------------------------------------------------------------------------


def test_defaults_are_installed_by_the_migration():
    assert set(NotificationTemplate.objects.filter(is_default=True).values_list("event", flat=True)) == set(
        events.EVENTS
    )
    for code in events.EVENTS:
        assert set(_default(code).texts.values_list("language", flat=True)) == {"en", "ru"}


@pytest.mark.parametrize("hostile", HOSTILE)
def test_staff_templates_cannot_reach_outside_their_variables(hostile, client_account, service, now):
    _set_text(
        _default("account_suspended"),
        subject=f"Subj {hostile}",
        text_body=f"Before {hostile} after",
        html_body=f"<p>{hostile}</p>",
    )
    row = _suspend_mail(client_account, service, now)  # never raises

    for leak in LEAKS:
        assert leak not in row.subject and leak not in row.body and leak not in row.html_body
    assert len(row.body) < 10_000 and len(row.html_body) < 10_000
    # Either the hostile part rendered as nothing, or the template was refused and the built-in text sent.
    assert row.body.strip() in ("Before  after", "Before after") or "is suspended" in row.subject
    client_account.user.refresh_from_db()
    assert client_account.user.check_password(PASSWORD)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_sandbox_renders_nothing_of_the_sort(hostile):
    try:
        out = sandbox.render(hostile, events.get("account_suspended").sample_context())
    except sandbox.TemplateError:
        return  # refused
    assert out == ""


def test_html_escapes_variables_and_text_does_not():
    context = {"client": {"name": "<script>alert(1)</script>"}}
    assert sandbox.render("{{ client.name }}", context, html=True) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert sandbox.render("{{ client.name }}", context) == "<script>alert(1)</script>"


def test_output_is_capped():
    with pytest.raises(sandbox.TemplateError):
        sandbox.render("{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", {})


def test_a_dict_key_wins_over_the_dict_method():
    assert sandbox.render("{% for i in order.items %}{{ i }}{% endfor %}", {"order": {"items": [1, 2]}}) == "12"


def test_no_model_instance_reaches_a_template(client_account, service):
    from moorage.notifications.context import template_context

    data = template_context({"client": client_account, "service": service, "other": object(), "f": len})

    def walk(value):  # noqa: ANN001, ANN202
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        else:
            assert (
                value is None
                or isinstance(value, str | int | bool)
                or type(value).__module__
                in (
                    "decimal",
                    "datetime",
                )
            ), value

    walk(data)
    assert data["other"] is None and data["f"] is None
    assert data["client"]["name"] == client_account.display_name
    assert data["service"]["product"] == "Starter Hosting" and data["service"]["hostname"] == "shop.example.com"


# Every event, both languages ----------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(events.EVENTS))
@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_event_renders_its_sample(code, language):
    event = events.get(code)
    built = templates_builtin.builtin(code, language)
    assert built is not None
    out = texts.render_texts(built, event.sample_context(), language=language)
    assert out["subject"] and out["text"] and "<p>" in out["html"]
    for value in out.values():
        assert "{{" not in value and "{%" not in value
    if event.mobile:
        assert out["push_title"] and out["push_text"]
    stored = _default(code).texts.get(language=language)
    assert texts.render_texts(texts.stored_texts(stored), event.sample_context(), language=language) == out


def test_russian_texts_are_russian():
    for code in events.EVENTS:
        assert templates_builtin.TEMPLATES[code]["ru"]["subject"] != templates_builtin.TEMPLATES[code]["en"]["subject"]
        assert any("а" <= ch <= "я" for ch in templates_builtin.TEMPLATES[code]["ru"]["text"].lower()), code


# Choosing the template ----------------------------------------------------------------------------


def test_a_russian_client_gets_the_russian_text(now, starter):
    anna = _russian(now)
    service = factories.paid_service(anna, starter, now=now, hostname="anna.example.com")
    row = _suspend_mail(anna, service, now)
    assert row.language == "ru"
    assert row.subject == "Услуга anna.example.com приостановлена"
    assert "Здравствуйте, Jane Doe!" in row.body and "причина: unpaid invoice 000001" in row.body
    assert "<p>Здравствуйте, Jane Doe!</p>" in row.html_body


def test_an_english_client_gets_the_english_text(client_account, service, now):
    row = _suspend_mail(client_account, service, now)
    assert row.language == "en" and row.subject == "Your service shop.example.com is suspended"
    assert "Hello Jane Doe," in row.body and "(unpaid invoice 000001)" in row.body


def test_fallback_language_then_english_then_builtin(now, starter):
    anna = _russian(now)
    service = factories.paid_service(anna, starter, now=now)
    template = _default("account_suspended")
    template.texts.filter(language="ru").delete()
    _set_text(template, "en", subject="EN stored {{ service.name }}")
    assert _suspend_mail(anna, service, now, "a").subject == "EN stored example.com"  # no Russian: English

    template.texts.all().delete()  # no texts at all: the built-in Russian
    assert _suspend_mail(anna, service, now, "b").subject == "Услуга example.com приостановлена"

    _set_text(template, "ru", subject="{{ broken", text_body="x")  # stored but broken: the built-in
    assert _suspend_mail(anna, service, now, "c").subject == "Услуга example.com приостановлена"

    NotificationTemplate.objects.all().delete()  # nothing installed: the built-in
    assert _suspend_mail(anna, service, now, "d").subject == "Услуга example.com приостановлена"


def test_a_product_chooses_its_own_template(client_account, service, starter, shared_page, now):
    variant = template_duplicate(template_id=_default("account_suspended").pk, now=now, actor=None)
    _set_text(variant, "en", subject="Special {{ service.product }}", text_body="Special body for {{ client.name }}")
    product_templates_save(product=starter, choices={"account_suspended": variant.pk}, now=now, actor=None)

    assert _suspend_mail(client_account, service, now, "a").subject == "Special Starter Hosting"
    other = shared_page.products.exclude(pk=starter.pk).first()
    other_service = factories.paid_service(client_account, other, now=now, hostname="b.example.com")
    assert _suspend_mail(client_account, other_service, now, "b").subject == "Your service b.example.com is suspended"

    product_templates_save(product=starter, choices={"account_suspended": None}, now=now, actor=None)
    assert _suspend_mail(client_account, service, now, "c").subject == "Your service shop.example.com is suspended"


def test_a_product_cannot_choose_another_events_template(starter, now, unchanged):
    from moorage.core.errors import DomainError

    wrong = _default("account_created")
    with unchanged(), pytest.raises(DomainError):
        product_templates_save(product=starter, choices={"account_suspended": wrong.pk}, now=now, actor=None)


def test_the_invoice_reminders_follow_the_invoices_product(client_account, starter, now):
    variant = template_duplicate(template_id=_default("invoice_reminder").pk, now=now, actor=None)
    _set_text(variant, "en", subject="Starter reminder {{ invoice.number }}")
    product_templates_save(product=starter, choices={"invoice_reminder": variant.pk}, now=now, actor=None)
    invoice = factories.checkout(client_account, starter, now=now).invoice
    with transaction.atomic():
        row = notify(
            template="invoice_reminder", client=client_account, dedupe_key="r", now=now, context={"invoice": invoice}
        )
    assert row.subject == f"Starter reminder {invoice.display_number}"


def test_account_created_also_goes_to_the_phone(client_account, service, now):
    with transaction.atomic():
        notify(
            template="account_created",
            client=client_account,
            dedupe_key="created:1",
            now=now,
            context={"service": service, "login": {"panel_url": "https://panel", "username": "u1"}},
            service_id=service.pk,
        )
        again = notify(template="account_created", client=client_account, dedupe_key="created:1", now=now)
    assert again is None
    email = Notification.objects.get(dedupe_key="created:1")
    push = Notification.objects.get(dedupe_key="created:1:push")
    assert email.channel == "email" and "Username: u1" in email.body
    assert push.channel == "push" and push.subject == "Account shop.example.com is ready"
    assert push.body == "Your Starter Hosting hosting account has been created."


# Events produced where they happen -----------------------------------------------------------------


def test_an_order_sends_initial_order_and_a_payment_sends_payment_received(client_account, starter, now):
    order = factories.checkout(client_account, starter, now=now, hostname="new.example.com")
    initial = Notification.objects.get(template="initial_order")
    assert initial.dedupe_key == f"initial_order:{order.pk}" and initial.invoice_id == order.invoice_id
    assert "new.example.com" in initial.body and order.invoice.display_number in initial.body
    assert not Notification.objects.filter(template="invoice_created").exists()  # told in the order's email

    factories.pay(order.invoice, str(order.invoice.total), transaction_id="T-1", now=now)
    factories.pay(order.invoice, str(order.invoice.total), transaction_id="T-1", now=now)  # replayed
    received = Notification.objects.get(template="payment_received")
    assert f"{order.invoice.total} USD" in received.subject


def test_staff_notifications_go_to_the_chosen_staff(service, now):
    first = factories.staff_user("first@example.com")
    second = factories.staff_user("second@example.com")
    User.objects.create_user(email="gone@example.com", password=PASSWORD, is_staff=True, is_active=False)
    StaffNotificationRecipient.objects.create(event="staff_upgrade_failed", user=second)
    context = {"service": service, "client": service.client, "error": "boom", "upgrade": {"from": "A", "to": "B"}}
    with transaction.atomic():
        failed = notify_staff(template="staff_upgrade_failed", dedupe_key="f1", now=now, context=context)
        done = notify_staff(template="staff_upgrade_success", dedupe_key="s1", now=now, context=context)
    assert [n.to_email for n in failed] == ["second@example.com"]
    assert sorted(n.to_email for n in done) == ["first@example.com", "second@example.com"]
    assert "boom" in failed[0].body and failed[0].subject == f"Upgrade FAILED: service #{service.pk} A → B"
    del first


# The staff editor ----------------------------------------------------------------------------------


def _staff_with(*perms: str) -> User:
    user = User.objects.create_user(email=f"s{len(perms)}@example.com", password=PASSWORD, is_staff=True)
    for perm in perms:
        app, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
    return user


def _inline(template: NotificationTemplate, **texts_by_language: dict) -> dict:
    data = {
        "event": template.event,
        "name": template.name,
        "texts-TOTAL_FORMS": str(len(texts_by_language)),
        "texts-INITIAL_FORMS": str(template.texts.count()),
        "texts-MIN_NUM_FORMS": "1",
        "texts-MAX_NUM_FORMS": "1000",
    }
    rows = {row.language: row for row in template.texts.all()}
    for i, (language, fields) in enumerate(texts_by_language.items()):
        prefix = f"texts-{i}-"
        data[prefix + "language"] = language
        data[prefix + "template"] = str(template.pk)
        if language in rows:
            data[prefix + "id"] = str(rows[language].pk)
        for name, value in fields.items():
            data[prefix + name] = value
    return data


def test_the_editor_lists_every_event_and_saves_a_text(client, staff):
    client.force_login(staff)
    page = client.get(reverse("admin:notifications_notificationtemplate_changelist"))
    assert page.status_code == 200 and "Reminder of the service expiration" in page.content.decode()
    add = client.get(reverse("admin:notifications_notificationtemplate_add")).content.decode()
    assert '<option value="ru" selected>' in add and '<option value="en" selected>' in add
    template = _default("account_suspended")
    url = reverse("admin:notifications_notificationtemplate_change", args=[template.pk])
    page = client.get(url).content.decode()
    assert "service.hostname" in page and "preview-button" in page  # variables beside the form
    data = _inline(
        template,
        en={"subject": "New {{ service.name }}", "text_body": "Body", "html_body": ""},
        ru={"subject": "Новая", "text_body": "Тело", "html_body": ""},
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert template.texts.get(language="en").subject == "New {{ service.name }}"


def test_the_editor_refuses_a_syntax_error_with_its_line(client, staff):
    client.force_login(staff)
    template = _default("account_suspended")
    url = reverse("admin:notifications_notificationtemplate_change", args=[template.pk])
    before = template.texts.get(language="en").text_body
    data = _inline(
        template,
        en={"subject": "ok", "text_body": "line one\n{% if %}", "html_body": "", "push_title": "", "push_text": ""},
        ru={"subject": "ok", "text_body": "{% include 'x' %}", "html_body": "", "push_title": "", "push_text": ""},
    )
    page = client.post(url, data).content.decode()
    assert "line 2:" in page and "{% include %} is not allowed" in page
    assert template.texts.get(language="en").text_body == before


def test_preview_renders_sample_data_in_a_sandboxed_frame(client, now):
    template = _default("invoice_created")
    viewer = _staff_with("notifications.view_notificationtemplate")
    client.force_login(viewer)
    page = client.get(reverse("admin:notifications_notificationtemplate_preview") + f"?template={template.pk}")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Hello Anna Petrova," in body and "Здравствуйте, Anna Petrova!" in body
    assert '<iframe sandbox="" srcdoc="' in body and "&lt;p&gt;Hello Anna Petrova," in body

    posted = _inline(
        template,
        en={"subject": "Preview {{ client.name }} {{ settings.SECRET_KEY }}", "text_body": "{{ ''.__class__ }}x"},
        ru={"subject": "{% if %}", "text_body": ""},
    )
    posted["template"] = str(template.pk)
    body = client.post(reverse("admin:notifications_notificationtemplate_preview"), posted).content.decode()
    assert '<span class="preview-subject">Preview Anna Petrova</span>' in body and settings.SECRET_KEY not in body
    assert '<pre class="preview-text" style="white-space: pre-wrap">x</pre>' in body
    assert 'data-testid="preview-error"' in body
    assert template.texts.get(language="en").subject != "Preview {{ client.name }} {{ settings.SECRET_KEY }}"


def test_preview_and_editor_need_the_permission(client, client_account):
    template = _default("invoice_created")
    preview = reverse("admin:notifications_notificationtemplate_preview") + f"?template={template.pk}"
    assert client.get(preview).status_code == 302  # anonymous: to the staff sign-in
    client.force_login(client_account.user)
    assert client.get(preview).status_code == 302  # a client is not staff
    client.force_login(_staff_with())
    assert client.get(preview).status_code == 403
    change = reverse("admin:notifications_notificationtemplate_change", args=[template.pk])
    assert client.post(change, {}).status_code == 403


def test_duplicate_and_make_default(client, staff):
    client.force_login(staff)
    template = _default("order_cancelled")
    changelist = reverse("admin:notifications_notificationtemplate_changelist")
    client.post(changelist, {"action": "duplicate_selected", "_selected_action": [template.pk]})
    copy = NotificationTemplate.objects.get(event="order_cancelled", name="Copy of Default")
    assert copy.texts.count() == 2 and not copy.is_default
    client.post(changelist, {"action": "make_default", "_selected_action": [copy.pk]})
    assert _default("order_cancelled") == copy


def test_the_products_emails_section(client, staff, starter, now):
    variant = template_duplicate(template_id=_default("account_created").pk, now=now, actor=None)
    url = reverse("admin:notifications_product_emails", args=[starter.pk])
    client.force_login(staff)
    product_page = client.get(reverse("admin:catalog_product_change", args=[starter.pk])).content.decode()
    assert url in product_page
    page = client.get(url).content.decode()
    assert "Initial Order" in page and "Account created" in page and "Copy of Default" in page
    response = client.post(url, {"account_created": str(variant.pk)})
    assert response.status_code == 302
    from moorage.notifications.models import ProductNotificationTemplate

    assert ProductNotificationTemplate.objects.get(product_id=starter.pk, event="account_created").template == variant

    viewer = _staff_with("catalog.view_product", "notifications.view_notificationtemplate")
    client.force_login(viewer)
    assert client.get(url).status_code == 200
    assert client.post(url, {"account_created": ""}).status_code == 403
    assert ProductNotificationTemplate.objects.filter(product_id=starter.pk).count() == 1


def test_reset_command_restores_the_builtin_texts():
    template = _default("account_suspended")
    _set_text(template, "en", subject="Changed")
    call_command("notification-templates")
    assert template.texts.get(language="en").subject == "Changed"  # install leaves edits alone
    call_command("notification-templates", "--reset")
    builtin_subject = templates_builtin.TEMPLATES["account_suspended"]["en"]["subject"]
    assert template.texts.get(language="en").subject == builtin_subject


def test_an_expiration_notice_uses_the_template_staff_picked(client_account, service, now):
    from django.core.exceptions import ValidationError

    from moorage.catalog.models import validate_expiration_notices

    variant = template_duplicate(template_id=_default("service_expiration").pk, now=now, actor=None)
    _set_text(variant, "en", subject="Chosen {{ service.name }} {{ expiry|date }}")
    with transaction.atomic():
        row = notify(
            template="service_expiration",
            client=client_account,
            dedupe_key="e1",
            now=now,
            context={"service": service, "expiry": service.expiry_date},
            variant=variant.name,
        )
    assert row.subject.startswith("Chosen shop.example.com ") and str(service.expiry_date.year) in row.subject
    validate_expiration_notices([{"days": 1, "when": "before", "variant": variant.name}])
    with pytest.raises(ValidationError):
        validate_expiration_notices([{"days": 1, "when": "before", "variant": "No such template"}])
