"""Install the domain events' built-in notification templates on installations whose notifications
migration ran before these events existed (a fresh database has them already)."""

from django.db import migrations
from django.utils import timezone

EVENTS = ("domain_registered", "domain_renewed", "domain_expiry", "domain_expired", "staff_domain_job_failed")


def install(apps, schema_editor):  # noqa: ANN001, ANN201
    from moorage.notifications import templates_builtin

    Template = apps.get_model("notifications", "NotificationTemplate")
    Text = apps.get_model("notifications", "NotificationTemplateText")
    now = timezone.now()
    for code in EVENTS:
        if Template.objects.filter(event=code).exists():
            continue
        template = Template.objects.create(event=code, name="Default", is_default=True, created_at=now, updated_at=now)
        for lang in templates_builtin.languages(code):
            texts = templates_builtin.builtin(code, lang)
            Text.objects.create(
                template=template,
                language=lang,
                subject=texts["subject"],
                text_body=texts["text"],
                html_body=texts["html"],
                push_title=texts["push_title"],
                push_text=texts["push_text"],
            )


class Migration(migrations.Migration):
    dependencies = [("domains", "0001_initial"), ("notifications", "0005_install_default_templates")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
