"""The Client Functions of a product: every action the product description lists, whether it applies
to shared hosting on ispmanager, and whether it can be offered yet. Pure: no Django.

Staff enable functions per product (Product.client_functions holds the enabled codes); the client's
service page offers only the enabled ones, and every face (client area, REST API) refuses a function
that is not enabled through the same question, `Product.client_function_refusal(code)`.
"""

from __future__ import annotations

from dataclasses import dataclass


def gettext_noop(text: str) -> str:
    """Marks a label for the translation catalogs (the pages translate it when they show it)."""
    return text


@dataclass(frozen=True)
class ClientFunction:
    code: str
    label: str
    description: str
    # False: the description lists it as "not applicable for virtual hosting with ispmanager".
    applicable: bool = True
    # Set while the feature behind it does not exist yet: shown, cannot be used, says why.
    unavailable: str = ""

    @property
    def can_enable(self) -> bool:
        return self.applicable


NOT_APPLICABLE = "not applicable to shared hosting on ispmanager"

FUNCTIONS: tuple[ClientFunction, ...] = (
    ClientFunction(
        "access_control_panel", gettext_noop("Access Control Panel"), "Open ispmanager without typing the login."
    ),
    ClientFunction(
        "change_billing_cycle",
        gettext_noop("Change Billing Cycle"),
        "Change the billing cycle, e.g. monthly to yearly.",
    ),
    ClientFunction("change_label", gettext_noop("Change Label"), "Change the label shown next to the service."),
    ClientFunction("change_ownership", gettext_noop("Change Ownership"), "Transfer the service to another client."),
    ClientFunction("contracts", gettext_noop("Contracts"), "View the agreements accepted when ordering."),
    ClientFunction("databases", gettext_noop("Databases"), "Manage the account's databases on the panel."),
    ClientFunction("usage", gettext_noop("Disk & Bandwidth Usage"), "View disk space and bandwidth usage."),
    ClientFunction("downloads", gettext_noop("Downloads"), "Download files staff attached to the product."),
    ClientFunction(
        "edit_forms",
        gettext_noop("Edit Forms"),
        "View and edit the answers of the order form.",
    ),
    ClientFunction("emails", gettext_noop("Emails"), "Manage the account's mailboxes on the panel."),
    ClientFunction("ftp_users", gettext_noop("FTP Users"), "Manage the account's FTP users on the panel."),
    ClientFunction("login_details", gettext_noop("Login Details"), "View the panel's address, username and password."),
    ClientFunction("logs", gettext_noop("Logs"), "View the service's event log."),
    ClientFunction("manual_renew", gettext_noop("Manual Service Renew"), "Create the next period's invoice now."),
    ClientFunction(
        "metered_billing", gettext_noop("Metered Billing Details"), "View the cost of the period so far by usage."
    ),
    ClientFunction(
        "direct_link", gettext_noop("New Direct Link"), "A private link to the service page, which can be renewed."
    ),
    ClientFunction("related_emails", gettext_noop("Related Emails"), "View emails about the service."),
    ClientFunction("related_invoices", gettext_noop("Related Invoices"), "View the service's invoices."),
    ClientFunction(
        "related_services", gettext_noop("Related Services"), "View add-ons and services of the same order."
    ),
    ClientFunction(
        "reset_password", gettext_noop("Reset Password"), "Change the account password and the panel password."
    ),
    ClientFunction(
        "auto_renewal", gettext_noop("Service Auto Renewal"), "Turn automatic renewal of the service on or off."
    ),
    ClientFunction("service_notes", gettext_noop("Service Notes"), "Read the notes staff wrote for the client."),
    ClientFunction(
        "status_updates", gettext_noop("Status Updates"), "Maintenance and incident updates for the service."
    ),
    ClientFunction(
        "auto_payment", gettext_noop("Service Auto Payment"), "Pay renewal invoices from the credit balance."
    ),
    ClientFunction("upgrades", gettext_noop("Upgrade / Downgrade"), "Move the service to another plan."),
    ClientFunction("cancellation", gettext_noop("Request Cancellation"), "Ask for the service to be cancelled."),
    ClientFunction("webmail", gettext_noop("Access WebMail"), "Open webmail.", applicable=False),
    ClientFunction(
        "manage_ip", gettext_noop("Manage IP"), "Manage IP addresses (colocation, dedicated servers).", applicable=False
    ),
    ClientFunction(
        "reverse_dns", gettext_noop("Reverse DNS"), "Reverse DNS (colocation, dedicated servers).", applicable=False
    ),
)

BY_CODE: dict[str, ClientFunction] = {f.code: f for f in FUNCTIONS}
CODES: tuple[str, ...] = tuple(BY_CODE)
# What a new product offers until staff change it: everything that applies and exists.
DEFAULT_ENABLED: tuple[str, ...] = tuple(f.code for f in FUNCTIONS if f.applicable and not f.unavailable)


def refusal(enabled: list[str] | tuple[str, ...] | None, code: str) -> str | None:
    """Why a client may not use function `code` on a product with these enabled codes, or None."""
    function = BY_CODE.get(code)
    if function is None:
        return f"there is no client function {code!r}"
    if not function.applicable:
        return f"{function.label} is {NOT_APPLICABLE}"
    if function.unavailable:
        return f"{function.label}: {function.unavailable}"
    if code not in (enabled or ()):
        return f"{function.label} is not enabled for this product"
    return None


def clean_enabled(codes: list[str]) -> list[str]:
    """The enabled list staff save: known, applicable codes, in the registry's order, each once.
    Raises ValueError naming a code that cannot be enabled."""
    wanted = set(codes)
    for code in wanted:
        function = BY_CODE.get(code)
        if function is None:
            raise ValueError(f"unknown client function {code!r}")
        if not function.applicable:
            raise ValueError(f"{function.label} is {NOT_APPLICABLE}")
    return [c for c in CODES if c in wanted]
