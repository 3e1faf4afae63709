"""The built-in notification templates (Jinja2, rendered in the sandbox), in English and Russian.

They are the "Default" variant every installation starts with (installed by a migration, reset by
`moorage notification-templates --reset`) and the last fallback when a stored template cannot be
rendered. The HTML body is made from the plain text; a mobile event also has a title and a text.
"""

from __future__ import annotations

import re

SIGN_EN = "\n\n{{ company }}\n{{ site_url }}\n"
SIGN_RU = "\n\n{{ company }}\n{{ site_url }}\n"
HELLO_EN = "Hello {{ client.name }},\n\n"
HELLO_RU = "Здравствуйте, {{ client.name }}!\n\n"
INV_EN = "invoice {{ invoice.number }} of {{ invoice.total|money(invoice.currency) }}"
INV_RU = "счёт {{ invoice.number }} на сумму {{ invoice.total|money(invoice.currency) }}"
PAY_LINK_EN = "\n\nView and pay it: {{ invoice.url }}"
PAY_LINK_RU = "\n\nПросмотреть и оплатить: {{ invoice.url }}"
REASON_EN = "{% if reason %} ({{ reason }}){% endif %}"
REASON_RU = "{% if reason %} (причина: {{ reason }}){% endif %}"
SVC_EN = "{{ service.product }} service {{ service.name }}"
SVC_RU = "услуга {{ service.product }} ({{ service.name }})"
STAFF_SVC = "#{{ service.id }} ({{ service.hostname or '-' }}) / {{ client.name }}"

# event → language → subject, text (and, for mobile events, push_title, push_text).
TEMPLATES: dict[str, dict[str, dict[str, str]]] = {
    "initial_order": {
        "en": {
            "subject": "Order {{ order.number }} received",
            "text": HELLO_EN + "thank you for your order {{ order.number }}:\n"
            "{% for item in order.items %}- {{ item.product }}{% if item.hostname %} ({{ item.hostname }}){% endif %}, "
            "{{ item.cycle }}: {{ item.amount|money }}\n{% endfor %}"
            "{% if invoice %}\nInvoice {{ invoice.number }} of {{ invoice.total|money(invoice.currency) }} is due on "
            "{{ invoice.due_date|date }}. Your services start once it is paid: {{ invoice.url }}{% endif %}" + SIGN_EN,
        },
        "ru": {
            "subject": "Заказ {{ order.number }} принят",
            "text": HELLO_RU + "Спасибо за заказ {{ order.number }}:\n"
            "{% for item in order.items %}- {{ item.product }}{% if item.hostname %} ({{ item.hostname }}){% endif %}, "
            "{{ item.cycle }}: {{ item.amount|money }}\n{% endfor %}"
            "{% if invoice %}\nСчёт {{ invoice.number }} на сумму {{ invoice.total|money(invoice.currency) }} нужно "
            "оплатить до {{ invoice.due_date|date('j E Y') }}. Услуги начнут работать после оплаты: "
            "{{ invoice.url }}{% endif %}" + SIGN_RU,
        },
    },
    "account_created": {
        "en": {
            "subject": "Your hosting account {{ service.name }} is ready",
            "text": HELLO_EN + "your {{ service.product }} account is ready.\n"
            "{% if login %}\nControl panel: {{ login.panel_url }}\nUsername: {{ login.username }}\n"
            "The password is on the service's Login Details page: {{ service.url }}\n{% endif %}" + SIGN_EN,
            "push_title": "Account {{ service.name }} is ready",
            "push_text": "Your {{ service.product }} hosting account has been created.",
        },
        "ru": {
            "subject": "Ваш хостинг-аккаунт {{ service.name }} готов",
            "text": HELLO_RU + "Ваш аккаунт {{ service.product }} создан.\n"
            "{% if login %}\nПанель управления: {{ login.panel_url }}\nИмя пользователя: {{ login.username }}\n"
            "Пароль указан на странице «Данные для входа» услуги: {{ service.url }}\n{% endif %}" + SIGN_RU,
            "push_title": "Аккаунт {{ service.name }} готов",
            "push_text": "Ваш хостинг-аккаунт {{ service.product }} создан.",
        },
    },
    "account_suspended": {
        "en": {
            "subject": "Your service {{ service.name }} is suspended",
            "text": HELLO_EN + "your " + SVC_EN + " was suspended" + REASON_EN + "." + SIGN_EN,
        },
        "ru": {
            "subject": "Услуга {{ service.name }} приостановлена",
            "text": HELLO_RU + SVC_RU.capitalize() + " приостановлена" + REASON_RU + "." + SIGN_RU,
        },
    },
    "account_unsuspended": {
        "en": {
            "subject": "Your service {{ service.name }} is active again",
            "text": HELLO_EN + "your " + SVC_EN + " is active again." + SIGN_EN,
        },
        "ru": {
            "subject": "Услуга {{ service.name }} снова работает",
            "text": HELLO_RU + SVC_RU.capitalize() + " снова работает." + SIGN_RU,
        },
    },
    "account_terminated": {
        "en": {
            "subject": "Your service {{ service.name }} was terminated",
            "text": HELLO_EN + "your " + SVC_EN + " was terminated" + REASON_EN + "." + SIGN_EN,
        },
        "ru": {
            "subject": "Услуга {{ service.name }} удалена",
            "text": HELLO_RU + SVC_RU.capitalize() + " удалена" + REASON_RU + "." + SIGN_RU,
        },
    },
    "service_expiration": {
        "en": {
            "subject": "Your service {{ service.name }} expires on {{ expiry|date }}",
            "text": HELLO_EN + "your " + SVC_EN + " expires on {{ expiry|date }}.\n{{ service.url }}" + SIGN_EN,
        },
        "ru": {
            "subject": "Срок услуги {{ service.name }} истекает {{ expiry|date('j E Y') }}",
            "text": HELLO_RU
            + "срок действия: "
            + SVC_RU
            + " — истекает {{ expiry|date('j E Y') }}.\n{{ service.url }}"
            + SIGN_RU,
        },
    },
    "upgrade_success": {
        "en": {
            "subject": "Your service {{ service.name }} was changed to {{ service.product }}",
            "text": HELLO_EN + "your service {{ service.name }} now runs on {{ service.product }} "
            "({{ service.cycle }}, {{ service.price|money(service.currency) }} per period)." + SIGN_EN,
        },
        "ru": {
            "subject": "Услуга {{ service.name }} переведена на {{ service.product }}",
            "text": HELLO_RU + "Услуга {{ service.name }} теперь работает на тарифе {{ service.product }} "
            "({{ service.cycle }}, {{ service.price|money(service.currency) }} за период)." + SIGN_RU,
        },
    },
    "invoice_created": {
        "en": {
            "subject": "Invoice {{ invoice.number }} of {{ invoice.total|money(invoice.currency) }}",
            "text": HELLO_EN + "we have issued " + INV_EN + ", due on {{ invoice.due_date|date }}:\n"
            "{% for line in invoice.lines %}- {{ line.description }}: {{ line.amount|money }}\n{% endfor %}"
            + PAY_LINK_EN
            + SIGN_EN,
        },
        "ru": {
            "subject": "Счёт {{ invoice.number }} на сумму {{ invoice.total|money(invoice.currency) }}",
            "text": HELLO_RU + "Мы выставили " + INV_RU + " со сроком оплаты до {{ invoice.due_date|date('j E Y') }}:\n"
            "{% for line in invoice.lines %}- {{ line.description }}: {{ line.amount|money }}\n{% endfor %}"
            + PAY_LINK_RU
            + SIGN_RU,
        },
    },
    "invoice_reminder": {
        "en": {
            "subject": "Invoice {{ invoice.number }} is due on {{ invoice.due_date|date }}",
            "text": HELLO_EN
            + "this is a reminder that "
            + INV_EN
            + " is due on {{ invoice.due_date|date }}."
            + PAY_LINK_EN
            + SIGN_EN,
        },
        "ru": {
            "subject": "Срок оплаты счёта {{ invoice.number }} — {{ invoice.due_date|date('j E Y') }}",
            "text": HELLO_RU
            + "напоминаем, что "
            + INV_RU
            + " нужно оплатить до {{ invoice.due_date|date('j E Y') }}."
            + PAY_LINK_RU
            + SIGN_RU,
        },
    },
    "invoice_overdue_1": {
        "en": {
            "subject": "First overdue notice: invoice {{ invoice.number }}",
            "text": HELLO_EN
            + INV_EN
            + " was due on {{ invoice.due_date|date }} and is still unpaid."
            + PAY_LINK_EN
            + SIGN_EN,
        },
        "ru": {
            "subject": "Первое напоминание о просрочке: счёт {{ invoice.number }}",
            "text": HELLO_RU
            + INV_RU
            + " нужно было оплатить до {{ invoice.due_date|date('j E Y') }}, он всё ещё не оплачен."
            + PAY_LINK_RU
            + SIGN_RU,
        },
    },
    "invoice_overdue_2": {
        "en": {
            "subject": "Second overdue notice: invoice {{ invoice.number }}",
            "text": HELLO_EN + "invoice {{ invoice.number }} is still unpaid (due {{ invoice.due_date|date }}). "
            "Please pay it to avoid suspension of your services." + PAY_LINK_EN + SIGN_EN,
        },
        "ru": {
            "subject": "Второе напоминание о просрочке: счёт {{ invoice.number }}",
            "text": HELLO_RU
            + "Счёт {{ invoice.number }} всё ещё не оплачен (срок — {{ invoice.due_date|date('j E Y') }}). "
            "Оплатите его, чтобы услуги не были приостановлены." + PAY_LINK_RU + SIGN_RU,
        },
    },
    "invoice_overdue_3": {
        "en": {
            "subject": "Final overdue notice: invoice {{ invoice.number }}",
            "text": HELLO_EN + "invoice {{ invoice.number }} is still unpaid (due {{ invoice.due_date|date }}). "
            "Your services will be suspended and terminated if it stays unpaid." + PAY_LINK_EN + SIGN_EN,
        },
        "ru": {
            "subject": "Последнее напоминание о просрочке: счёт {{ invoice.number }}",
            "text": HELLO_RU
            + "Счёт {{ invoice.number }} всё ещё не оплачен (срок — {{ invoice.due_date|date('j E Y') }}). "
            "Если он останется неоплаченным, услуги будут приостановлены и удалены." + PAY_LINK_RU + SIGN_RU,
        },
    },
    "invoice_custom_reminder": {
        "en": {
            "subject": "Reminder: invoice {{ invoice.number }}",
            "text": HELLO_EN + INV_EN + " is due on {{ invoice.due_date|date }}." + PAY_LINK_EN + SIGN_EN,
        },
        "ru": {
            "subject": "Напоминание: счёт {{ invoice.number }}",
            "text": HELLO_RU
            + INV_RU.capitalize()
            + " нужно оплатить до {{ invoice.due_date|date('j E Y') }}."
            + PAY_LINK_RU
            + SIGN_RU,
        },
    },
    "late_fee_added": {
        "en": {
            "subject": "A late fee was added to invoice {{ invoice.number }}",
            "text": HELLO_EN + "a late fee of {{ fee|money(invoice.currency) }} was added to invoice "
            "{{ invoice.number }}; it now totals {{ invoice.total|money(invoice.currency) }}." + PAY_LINK_EN + SIGN_EN,
        },
        "ru": {
            "subject": "К счёту {{ invoice.number }} добавлены пени",
            "text": HELLO_RU + "К счёту {{ invoice.number }} добавлены пени {{ fee|money(invoice.currency) }}; "
            "теперь его сумма — {{ invoice.total|money(invoice.currency) }}." + PAY_LINK_RU + SIGN_RU,
        },
    },
    "payment_received": {
        "en": {
            "subject": "Payment of {{ payment.amount|money(payment.currency) }} received",
            "text": HELLO_EN + "we have received your payment of {{ payment.amount|money(payment.currency) }}"
            "{% if invoice %} for invoice {{ invoice.number }}{% endif %} on {{ payment.date|date }}. Thank you!"
            "{% if invoice %}\n\n{{ invoice.url }}{% endif %}" + SIGN_EN,
        },
        "ru": {
            "subject": "Получен платёж {{ payment.amount|money(payment.currency) }}",
            "text": HELLO_RU + "Мы получили ваш платёж {{ payment.amount|money(payment.currency) }}"
            "{% if invoice %} по счёту {{ invoice.number }}{% endif %} {{ payment.date|date('j E Y') }}. Спасибо!"
            "{% if invoice %}\n\n{{ invoice.url }}{% endif %}" + SIGN_RU,
        },
    },
    "payment_declined": {
        "en": {
            "subject": "Automatic payment of invoice {{ invoice.number }} failed",
            "text": HELLO_EN + "we tried to charge your saved card for " + INV_EN + ", but the payment was declined"
            "{% if reason %}: {{ reason }}{% else %}.{% endif %}\n\nThe invoice is still due on "
            "{{ invoice.due_date|date }}; please pay it another way or update your card." + PAY_LINK_EN + SIGN_EN,
        },
        "ru": {
            "subject": "Автоплатёж по счёту {{ invoice.number }} не прошёл",
            "text": HELLO_RU + "Мы попытались списать с сохранённой карты " + INV_RU + ", но платёж отклонён"
            "{% if reason %}: {{ reason }}{% else %}.{% endif %}\n\nСчёт нужно оплатить до "
            "{{ invoice.due_date|date('j E Y') }}: оплатите его другим способом или обновите карту."
            + PAY_LINK_RU
            + SIGN_RU,
        },
    },
    "payment_refunded": {
        "en": {
            "subject": "Refund of {{ amount|money(payment.currency) }}",
            "text": HELLO_EN + "we have refunded {{ amount|money(payment.currency) }} of your payment of "
            "{{ payment.amount|money(payment.currency) }}{% if payment.invoice %} for invoice {{ payment.invoice }}"
            "{% endif %}. It may take a few days to reach your account." + SIGN_EN,
        },
        "ru": {
            "subject": "Возврат {{ amount|money(payment.currency) }}",
            "text": HELLO_RU + "Мы вернули {{ amount|money(payment.currency) }} из вашего платежа "
            "{{ payment.amount|money(payment.currency) }}{% if payment.invoice %} по счёту {{ payment.invoice }}"
            "{% endif %}. Деньги могут идти до вашего счёта несколько дней." + SIGN_RU,
        },
    },
    "order_cancelled": {
        "en": {
            "subject": "Order {{ order.number }} was cancelled",
            "text": HELLO_EN + "your order {{ order.number }} was cancelled because it was not paid." + SIGN_EN,
        },
        "ru": {
            "subject": "Заказ {{ order.number }} отменён",
            "text": HELLO_RU + "Ваш заказ {{ order.number }} отменён, так как он не был оплачен." + SIGN_RU,
        },
    },
    "password_reset": {
        "en": {
            "subject": "Password reset for {{ company }}",
            "text": HELLO_EN + "someone asked to reset the password of your account. To choose a new password, open "
            "this link (it works once, for {{ valid_minutes }} minutes):\n\n{{ reset_url }}\n\n"
            "If it was not you, ignore this email: your password stays as it is." + SIGN_EN,
        },
        "ru": {
            "subject": "Сброс пароля в {{ company }}",
            "text": HELLO_RU + "Кто-то запросил сброс пароля вашего аккаунта. Чтобы задать новый пароль, откройте "
            "ссылку (она действует один раз, {{ valid_minutes }} мин.):\n\n{{ reset_url }}\n\n"
            "Если это были не вы, просто проигнорируйте письмо: пароль останется прежним." + SIGN_RU,
        },
    },
    "staff_upgrade_success": {
        "en": {
            "subject": "Upgrade done: service #{{ service.id }} {{ upgrade.from }} → {{ upgrade.to }}",
            "text": "Service " + STAFF_SVC + " was changed from {{ upgrade.from }} to {{ upgrade.to }}.\n",
        },
        "ru": {
            "subject": "Смена тарифа выполнена: услуга #{{ service.id }} {{ upgrade.from }} → {{ upgrade.to }}",
            "text": "Услуга " + STAFF_SVC + " переведена с {{ upgrade.from }} на {{ upgrade.to }}.\n",
        },
    },
    "staff_upgrade_failed": {
        "en": {
            "subject": "Upgrade FAILED: service #{{ service.id }}{% if upgrade %} {{ upgrade.from }} → "
            "{{ upgrade.to }}{% endif %}",
            "text": "Changing the package of service " + STAFF_SVC + "{% if upgrade %} from {{ upgrade.from }} to "
            "{{ upgrade.to }}{% endif %} failed:\n{{ error }}\n\n"
            "Check the service's provisioning jobs in the staff area.\n",
        },
        "ru": {
            "subject": "ОШИБКА смены тарифа: услуга #{{ service.id }}{% if upgrade %} {{ upgrade.from }} → "
            "{{ upgrade.to }}{% endif %}",
            "text": "Не удалось сменить тариф услуги " + STAFF_SVC + "{% if upgrade %} с {{ upgrade.from }} на "
            "{{ upgrade.to }}{% endif %}:\n{{ error }}\n\nПроверьте задания провизионинга услуги в панели персонала.\n",
        },
    },
    "staff_provisioning_failed": {
        "en": {
            "subject": "Provisioning FAILED: {{ operation }} of service #{{ service.id }}",
            "text": "{{ operation }} of service " + STAFF_SVC + " failed and will not be retried by itself:\n"
            "{{ error }}\n\nFix the cause, then press Retry on the job in the staff area.\n",
        },
        "ru": {
            "subject": "ОШИБКА провизионинга: {{ operation }}, услуга #{{ service.id }}",
            "text": "Операция «{{ operation }}» для услуги " + STAFF_SVC + " не выполнена и сама не повторится:\n"
            "{{ error }}\n\nУстраните причину и нажмите «Повторить» у задания в панели персонала.\n",
        },
    },
    "staff_auto_create_skipped": {
        "en": {
            "subject": "Account not created: service #{{ service.id }}",
            "text": "The panel account of service " + STAFF_SVC + " was not queued for creation: {{ error }}\n\n"
            "The client has paid; create the account from the service page once this is fixed.\n",
        },
        "ru": {
            "subject": "Аккаунт не создан: услуга #{{ service.id }}",
            "text": "Аккаунт в панели для услуги " + STAFF_SVC + " не поставлен в очередь на создание: {{ error }}\n\n"
            "Клиент оплатил услугу; создайте аккаунт со страницы услуги, когда причина будет устранена.\n",
        },
    },
    "domain_registered": {
        "en": {
            "subject": "Your domain {{ domain.name }} is registered",
            "text": HELLO_EN + "your domain {{ domain.name }} is now registered with us, until "
            "{{ domain.expires_on|date }}." + SIGN_EN,
        },
        "ru": {
            "subject": "Домен {{ domain.name }} зарегистрирован",
            "text": HELLO_RU + "Ваш домен {{ domain.name }} теперь обслуживается у нас, срок регистрации до "
            "{{ domain.expires_on|date('j E Y') }}." + SIGN_RU,
        },
    },
    "domain_renewed": {
        "en": {
            "subject": "Your domain {{ domain.name }} was renewed",
            "text": HELLO_EN
            + "your domain {{ domain.name }} was renewed until {{ domain.expires_on|date }}."
            + SIGN_EN,
        },
        "ru": {
            "subject": "Домен {{ domain.name }} продлён",
            "text": HELLO_RU + "Регистрация домена {{ domain.name }} продлена до "
            "{{ domain.expires_on|date('j E Y') }}." + SIGN_RU,
        },
    },
    "domain_expiry": {
        "en": {
            "subject": "Your domain {{ domain.name }} expires on {{ domain.expires_on|date }}",
            "text": HELLO_EN + "your domain {{ domain.name }} expires in {{ days }} day(s), on "
            "{{ domain.expires_on|date }}.{% if domain.auto_renew %} Its renewal invoice is in your client area."
            "{% else %} It does not renew automatically.{% endif %}\n{{ site_url }}" + SIGN_EN,
        },
        "ru": {
            "subject": "Срок регистрации домена {{ domain.name }} истекает {{ domain.expires_on|date('j E Y') }}",
            "text": HELLO_RU + "Срок регистрации домена {{ domain.name }} истекает через {{ days }} дн. — "
            "{{ domain.expires_on|date('j E Y') }}.{% if domain.auto_renew %} Счёт на продление — в личном кабинете."
            "{% else %} Автопродление выключено.{% endif %}\n{{ site_url }}" + SIGN_RU,
        },
    },
    "domain_expired": {
        "en": {
            "subject": "Your domain {{ domain.name }} has expired",
            "text": HELLO_EN + "your domain {{ domain.name }} expired on {{ domain.expires_on|date }}. "
            "Pay its renewal invoice soon to keep it." + SIGN_EN,
        },
        "ru": {
            "subject": "Срок регистрации домена {{ domain.name }} истёк",
            "text": HELLO_RU + "Срок регистрации домена {{ domain.name }} истёк {{ domain.expires_on|date('j E Y') }}. "
            "Оплатите счёт на продление, чтобы сохранить домен." + SIGN_RU,
        },
    },
    "staff_domain_job_failed": {
        "en": {
            "subject": "Domain {{ operation }} failed: {{ domain.name }}",
            "text": "{{ operation }} of the domain {{ domain.name }} ({{ client.name }}) failed: {{ error }}\n\n"
            "Retry it from the domain's page in the staff area once this is fixed.\n",
        },
        "ru": {
            "subject": "Ошибка операции с доменом {{ domain.name }}: {{ operation }}",
            "text": "Операция «{{ operation }}» для домена {{ domain.name }} ({{ client.name }}) не выполнена: "
            "{{ error }}\n\nПовторите её со страницы домена в панели сотрудника, когда причина будет устранена.\n",
        },
    },
    "staff_reconcile_findings": {
        "en": {
            "subject": "Panels differ from billing: {{ count }} new finding{{ '' if count == 1 else 's' }}"
            "{% if errors %}, {{ errors|length }} panel(s) unreadable{% endif %}",
            "text": "The daily reconciliation of {{ date|date }} compared the panels with billing.\n"
            "{% if findings %}\nNew findings:\n{% for f in findings %}- {{ f.connection }}: {{ f.kind }}, "
            "user {{ f.username }}{% if f.service %}, service #{{ f.service }}{% endif %}"
            "{% if f.fix %} (fix: {{ f.fix }}){% endif %}\n{% endfor %}"
            "{% if more %}… and {{ more }} more.\n{% endif %}{% endif %}"
            "{% if errors %}\nPanels that could not be read:\n{% for e in errors %}- {{ e }}\n{% endfor %}{% endif %}"
            "\nReview and fix them on the Reconciliation page of the staff area.\n",
        },
        "ru": {
            "subject": "Панели расходятся с биллингом: новых расхождений {{ count }}"
            "{% if errors %}, недоступных панелей {{ errors|length }}{% endif %}",
            "text": "Ежедневная сверка за {{ date|date }} сравнила панели с биллингом.\n"
            "{% if findings %}\nНовые расхождения:\n{% for f in findings %}- {{ f.connection }}: {{ f.kind }}, "
            "пользователь {{ f.username }}{% if f.service %}, услуга #{{ f.service }}{% endif %}"
            "{% if f.fix %} (исправление: {{ f.fix }}){% endif %}\n{% endfor %}"
            "{% if more %}… и ещё {{ more }}.\n{% endif %}{% endif %}"
            "{% if errors %}\nПанели, которые не удалось прочитать:\n{% for e in errors %}- {{ e }}\n{% endfor %}"
            "{% endif %}\nПросмотрите и исправьте их на странице «Сверка» в панели персонала.\n",
        },
    },
    "staff_payment_held": {
        "en": {
            "subject": "Payment held for review: {{ payment.amount|money(payment.currency) }}"
            "{% if invoice %} for invoice {{ invoice.number }}{% endif %}",
            "text": "A payment of {{ payment.amount|money(payment.currency) }} ({{ payment.gateway }}, transaction "
            "{{ payment.transaction_id }}){% if client.name %} from {{ client.name }}{% endif %} was not applied"
            "{% if invoice %} to invoice {{ invoice.number }} ({{ invoice.total|money(invoice.currency) }}){% endif %}:"
            "\n{{ reason }}\n\nReview it in the staff area.\n",
        },
        "ru": {
            "subject": "Платёж ожидает проверки: {{ payment.amount|money(payment.currency) }}"
            "{% if invoice %} по счёту {{ invoice.number }}{% endif %}",
            "text": "Платёж {{ payment.amount|money(payment.currency) }} ({{ payment.gateway }}, транзакция "
            "{{ payment.transaction_id }}){% if client.name %} от {{ client.name }}{% endif %} не зачтён"
            "{% if invoice %} в счёт {{ invoice.number }} ({{ invoice.total|money(invoice.currency) }}){% endif %}:"
            "\n{{ reason }}\n\nПроверьте его в панели персонала.\n",
        },
    },
}

HTML_SHELL = (
    '<!doctype html>\n<html lang="{lang}"><body style="font-family: Arial, sans-serif; font-size: 15px; '
    'line-height: 1.5; color: #222;">\n{body}\n</body></html>\n'
)
_URL = re.compile(r"(\{\{ [a-z_.]*url \}\})")


def html_from_text(text: str, language: str) -> str:
    """An HTML body made from a plain-text template: paragraphs, line breaks, links."""
    paragraphs = [p for p in text.strip().split("\n\n") if p.strip()]
    body = "\n".join("<p>" + _URL.sub(r'<a href="\1">\1</a>', p.replace("\n", "<br>\n")) + "</p>" for p in paragraphs)
    return HTML_SHELL.format(lang=language, body=body)


def builtin(event: str, language: str) -> dict[str, str] | None:
    """The built-in texts of `event` in `language` (subject, text, html, push_title, push_text), or None."""
    texts = TEMPLATES.get(event, {}).get(language)
    if texts is None:
        return None
    return {
        "subject": texts["subject"],
        "text": texts["text"],
        "html": html_from_text(texts["text"], language),
        "push_title": texts.get("push_title", ""),
        "push_text": texts.get("push_text", ""),
    }


def languages(event: str) -> list[str]:
    return list(TEMPLATES.get(event, {}))


def names() -> list[str]:
    return sorted(TEMPLATES)
