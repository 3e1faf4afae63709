"""Install the built-in Default variant of the staff event "Panels differ from billing" on
installations whose notification templates were installed before the event existed."""

from django.db import migrations
from django.utils import timezone

CODE = "staff_reconcile_findings"


def install(apps, schema_editor):  # noqa: ANN001, ANN201
    from moorage.notifications import templates_builtin

    Template = apps.get_model("notifications", "NotificationTemplate")
    Text = apps.get_model("notifications", "NotificationTemplateText")
    if Template.objects.filter(event=CODE).exists():
        return
    now = timezone.now()
    template = Template.objects.create(event=CODE, name="Default", is_default=True, created_at=now, updated_at=now)
    for lang in templates_builtin.languages(CODE):
        texts = templates_builtin.builtin(CODE, lang)
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
    dependencies = [
        ("reconciliation", "0001_initial"),
        ("notifications", "0005_install_default_templates"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
