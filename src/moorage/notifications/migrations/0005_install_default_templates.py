"""Install the built-in notification templates (English and Russian) as each event's Default variant."""

from django.db import migrations
from django.utils import timezone


def install(apps, schema_editor):  # noqa: ANN001, ANN201
    from moorage.notifications import events, templates_builtin

    Template = apps.get_model("notifications", "NotificationTemplate")
    Text = apps.get_model("notifications", "NotificationTemplateText")
    now = timezone.now()
    for code in events.EVENTS:
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
    dependencies = [("notifications", "0004_templates")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
