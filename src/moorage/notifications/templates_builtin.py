"""The built-in notification templates: name → (subject, body), Django template syntax.

Editable templates come later; these are the defaults every installation starts with.
"""

from __future__ import annotations

TEMPLATES: dict[str, tuple[str, str]] = {
    "invoice_reminder": (
        "Invoice {{ invoice.display_number }} is due on {{ invoice.due_date }}",
        "Hello {{ client.display_name }},\n\nthis is a reminder that invoice {{ invoice.display_number }} "
        "of {{ invoice.total }} {{ invoice.currency }} is due on {{ invoice.due_date }}.\n\n{{ company }}\n",
    ),
    "invoice_overdue_1": (
        "First overdue notice: invoice {{ invoice.display_number }}",
        "Hello {{ client.display_name }},\n\ninvoice {{ invoice.display_number }} of {{ invoice.total }} "
        "{{ invoice.currency }} was due on {{ invoice.due_date }} and is still unpaid.\n\n{{ company }}\n",
    ),
    "invoice_overdue_2": (
        "Second overdue notice: invoice {{ invoice.display_number }}",
        "Hello {{ client.display_name }},\n\ninvoice {{ invoice.display_number }} is still unpaid "
        "(due {{ invoice.due_date }}). Please pay it to avoid suspension of your services.\n\n{{ company }}\n",
    ),
    "invoice_overdue_3": (
        "Final overdue notice: invoice {{ invoice.display_number }}",
        "Hello {{ client.display_name }},\n\ninvoice {{ invoice.display_number }} is still unpaid "
        "(due {{ invoice.due_date }}). Your services will be suspended and terminated if it stays unpaid."
        "\n\n{{ company }}\n",
    ),
    "invoice_custom_reminder": (
        "Reminder: invoice {{ invoice.display_number }}",
        "Hello {{ client.display_name }},\n\ninvoice {{ invoice.display_number }} of {{ invoice.total }} "
        "{{ invoice.currency }} is due on {{ invoice.due_date }}.\n\n{{ company }}\n",
    ),
    "account_created": (
        "Your hosting account {{ service.hostname|default:service.product.name }} is ready",
        "Hello {{ client.display_name }},\n\nyour {{ service.product.name }} account is ready.\n"
        "{% if login %}Control panel: {{ login.panel_url }}\nUsername: {{ login.username }}\n{% endif %}"
        "\n{{ company }}\n",
    ),
    "account_suspended": (
        "Your service {{ service.hostname|default:service.product.name }} is suspended",
        "Hello {{ client.display_name }},\n\nyour {{ service.product.name }} service was suspended"
        "{% if reason %} ({{ reason }}){% endif %}.\n\n{{ company }}\n",
    ),
    "account_unsuspended": (
        "Your service {{ service.hostname|default:service.product.name }} is active again",
        "Hello {{ client.display_name }},\n\nyour {{ service.product.name }} service is active again.\n\n"
        "{{ company }}\n",
    ),
    "account_terminated": (
        "Your service {{ service.hostname|default:service.product.name }} was terminated",
        "Hello {{ client.display_name }},\n\nyour {{ service.product.name }} service was terminated"
        "{% if reason %} ({{ reason }}){% endif %}.\n\n{{ company }}\n",
    ),
    "service_expiration": (
        "Your service {{ service.hostname|default:service.product.name }} expires on {{ expiry }}",
        "Hello {{ client.display_name }},\n\nyour {{ service.product.name }} service expires on {{ expiry }}."
        "\n\n{{ company }}\n",
    ),
    "order_cancelled": (
        "Order {{ order.display_number }} was cancelled",
        "Hello {{ client.display_name }},\n\nyour order {{ order.display_number }} was cancelled because it "
        "was not paid.\n\n{{ company }}\n",
    ),
    "late_fee_added": (
        "A late fee was added to invoice {{ invoice.display_number }}",
        "Hello {{ client.display_name }},\n\na late fee of {{ fee }} {{ invoice.currency }} was added to "
        "invoice {{ invoice.display_number }}; it now totals {{ invoice.total }}.\n\n{{ company }}\n",
    ),
    "upgrade_success": (
        "Your service {{ service.hostname|default:service.product.name }} was changed to {{ service.product.name }}",
        "Hello {{ client.display_name }},\n\nyour service {{ service.hostname|default:request.from_product.name }} "
        "now runs on {{ service.product.name }} ({{ service.get_cycle_display }}, {{ service.recurring_amount }} per "
        "period).\n\n{{ company }}\n",
    ),
    "staff_upgrade_success": (
        "Upgrade done: service #{{ service.pk }} {{ upgrade.from }} → {{ upgrade.to }}",
        "Service #{{ service.pk }} ({{ service.hostname|default:'-' }}) of {{ client.display_name }} was changed "
        "from {{ upgrade.from }} to {{ upgrade.to }}.\n",
    ),
    "staff_upgrade_failed": (
        "Upgrade FAILED: service #{{ service.pk }}{% if upgrade %} {{ upgrade.from }} → {{ upgrade.to }}{% endif %}",
        "Changing the package of service #{{ service.pk }} ({{ service.hostname|default:'-' }}) of "
        "{{ client.display_name }}{% if upgrade %} from {{ upgrade.from }} to {{ upgrade.to }}{% endif %} failed:\n"
        "{{ error }}\n\nCheck the service's provisioning jobs in the staff area.\n",
    ),
    "staff_provisioning_failed": (
        "Provisioning FAILED: {{ operation }} of service #{{ service.pk }}",
        "{{ operation }} of service #{{ service.pk }} ({{ service.hostname|default:'-' }}) of "
        "{{ client.display_name }} failed and will not be retried by itself:\n{{ error }}\n\n"
        "Fix the cause, then press Retry on the job in the staff area.\n",
    ),
    "staff_auto_create_skipped": (
        "Account not created: service #{{ service.pk }}",
        "The panel account of service #{{ service.pk }} ({{ service.hostname|default:'-' }}) of "
        "{{ client.display_name }} was not queued for creation: {{ error }}\n\n"
        "The client has paid; create the account from the service page once this is fixed.\n",
    ),
    "payment_declined": (
        "Payment declined: invoice {{ invoice.display_number }}",
        "Hello {{ client.display_name }},\n\nwe tried to charge {{ amount }} {{ currency }} for invoice "
        "{{ invoice.display_number }} on your saved payment method {{ method }}, but the payment was declined"
        "{% if reason %} ({{ reason }}){% endif %}.\n\nThe invoice is still unpaid; please pay it from your "
        "client area before {{ invoice.due_date }}.\n\n{{ company }}\n",
    ),
    "staff_payment_held": (
        "Payment held for review: {{ held.gateway }} {{ held.transaction_id }}",
        "A payment of {{ held.amount }} {{ held.currency }} reported by {{ held.gateway }} (transaction "
        "{{ held.transaction_id }}){% if invoice %} for invoice {{ invoice.display_number }}{% endif %} was not "
        "applied: {{ held.reason }}\n\nApply it to an invoice or dismiss it under Payments → Held payments "
        "in the staff area.\n",
    ),
}


def names() -> list[str]:
    return sorted(TEMPLATES)
