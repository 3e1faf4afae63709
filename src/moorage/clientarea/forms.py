"""Client-area forms: they shape the input and show errors; the rules live in the actions."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from moorage.catalog.hostname import HostnameRule
from moorage.catalog.models import Product
from moorage.contracts.actions import terms_required
from moorage.contracts.models import ContractVersion
from moorage.core.cycles import CYCLE_LABELS, Cycle
from moorage.core.errors import DomainError
from moorage.core.validators import single_line
from moorage.customers.models import Client, RegistrationField
from moorage.customers.registration import form_fields

HOSTNAME_HINTS = {
    HostnameRule.NONE: "",
    HostnameRule.DNS: _("A valid DNS name, such as myserver or www.example.com"),
    HostnameRule.DOMAIN: _("A domain name, such as example.com"),
    HostnameRule.FQDN: _("A fully qualified host name, such as www.example.com"),
}
FIELD_HELP = {"country": _("Two-letter country code, such as DE or US")}
FIELD_AUTOCOMPLETE = {
    "first_name": "given-name",
    "last_name": "family-name",
    "organization": "organization",
    "address1": "address-line1",
    "address2": "address-line2",
    "city": "address-level2",
    "state": "address-level1",
    "zip_code": "postal-code",
    "country": "country",
    "phone": "tel",
}


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a DomainError on the field it names (`items[0].hostname` → `hostname`), else on top."""
    name = (exc.field or "").rsplit(".", 1)[-1]
    form.add_error(name if name in form.fields else None, exc.message)


def profile_field(field: RegistrationField, initial: Any = None) -> forms.Field:
    """A form field for one configured registration field (shown / required / kind / options)."""
    # The built-in fields' labels are Moorage's own words; custom ones are the provider's.
    label = gettext(field.label) if field.builtin else field.label
    if field.kind == RegistrationField.Kind.CHECKBOX:
        return forms.BooleanField(label=label, required=field.required, initial=bool(initial))
    if field.kind == RegistrationField.Kind.SELECT:
        labels = dict(Client.AccountType.choices) if field.key == "account_type" else {}
        choices = [(o, labels.get(o, o)) for o in field.option_list]
        if not field.required:
            choices.insert(0, ("", _("Optional — leave blank") if field.key == "account_type" else "—"))
        return forms.ChoiceField(label=label, required=field.required, choices=choices, initial=initial)
    attrs = {}
    if field.key in FIELD_AUTOCOMPLETE:
        attrs["autocomplete"] = FIELD_AUTOCOMPLETE[field.key]
    if field.key == "country":
        attrs.update({"maxlength": "2", "size": "3", "placeholder": "DE"})
    return forms.CharField(
        label=label,
        required=field.required,
        initial=initial,
        max_length=200,
        help_text=FIELD_HELP.get(field.key, ""),
        widget=forms.TextInput(attrs=attrs),
        validators=[single_line],
    )


class ProfileFieldsMixin:
    """Adds the shown registration fields to a form and collects their values as a profile dict."""

    profile_keys: list[str]

    def add_profile_fields(self, initial: dict[str, Any] | None = None) -> None:
        initial = initial or {}
        self.profile_keys = []
        for field in form_fields():
            self.fields[field.key] = profile_field(field, initial.get(field.key))  # type: ignore[attr-defined]
            self.profile_keys.append(field.key)

    def profile(self) -> dict[str, Any]:
        data = self.cleaned_data  # type: ignore[attr-defined]
        return {key: data.get(key) for key in self.profile_keys}


def language_field(initial: str) -> forms.ChoiceField:
    """The language of the client's pages and emails."""
    # Not required: a form posted without it keeps the page's language (registration) or the saved one.
    return forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        initial=initial,
        required=False,
        help_text=_("Your pages and emails are in this language."),
    )


def current_language() -> str:
    """The language this page is shown in, when Moorage ships it (the registration form's default)."""
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def captcha_field() -> forms.Field:
    """Image Verification (django-simple-captcha): the characters of a picture, each picture once."""
    from captcha.fields import CaptchaField

    return CaptchaField(
        label=_("Image Verification"),
        help_text=_("Type the characters you see in the picture."),
        error_messages={"invalid": _("The characters do not match the picture; try the new one.")},
    )


def version_ids(versions: list[ContractVersion]) -> str:
    """The versions a page shows, as the hidden field that comes back with the checkbox: each id with
    a digest of its text, so a version corrected in place (same id) while the page was open is shown
    again instead of being recorded as accepted."""
    return ",".join(f"{v.pk}-{hashlib.sha256(v.text.encode()).hexdigest()[:16]}" for v in versions)


class ShownVersionsMixin:
    """A checkbox accepting contract versions, with the ids of the versions the page showed, so an
    acceptance is stored only for the exact texts the client had in front of them."""

    def add_acceptance(self, name: str, versions: list[ContractVersion], label: str) -> None:
        fields = self.fields  # type: ignore[attr-defined]
        fields[name] = forms.BooleanField(label=label, required=False)
        fields[f"{name}_versions"] = forms.CharField(
            required=False, max_length=2000, widget=forms.HiddenInput, initial=version_ids(versions)
        )

    def shown_current(self, name: str, versions: list[ContractVersion]) -> bool:
        """Whether the versions the page showed are still the current ones."""
        return (self.cleaned_data.get(f"{name}_versions") or "") == version_ids(versions)  # type: ignore[attr-defined]


class RegistrationForm(ShownVersionsMixin, ProfileFieldsMixin, forms.Form):
    email = forms.EmailField(label=_("Email Address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Repeat Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_profile_fields()
        self.fields["language"] = language_field(current_language())
        # Terms of Service / Privacy Policy: required while staff mark a template as the terms.
        self.terms = terms_required()
        if self.terms:
            names = ", ".join(v.template.name for v in self.terms)
            self.add_acceptance(
                "accept_terms", self.terms, _("I have read and accepted the %(names)s") % {"names": names}
            )
        if settings.MOORAGE_CAPTCHA:
            self.fields["captcha"] = captcha_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("The two passwords do not match"))
        if self.terms:
            if not data.get("accept_terms"):
                self.add_error("accept_terms", _("Please read and accept the terms to create an account"))
            elif not self.shown_current("accept_terms", self.terms):
                self.add_error("accept_terms", _("The terms have changed; please read them again"))
                self.data = self.data.copy()
                self.data["accept_terms_versions"] = version_ids(self.terms)
                self.data["accept_terms"] = ""
        return data


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email Address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class AccountForm(ProfileFieldsMixin, forms.Form):
    email = forms.EmailField(label=_("Email Address"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].initial = client.email
        initial = {
            key: getattr(client, key)
            for key in (
                "first_name",
                "last_name",
                "organization",
                "address1",
                "address2",
                "city",
                "state",
                "zip_code",
                "country",
                "phone",
                "account_type",
            )
        }
        initial.update(client.custom_fields or {})
        self.add_profile_fields(initial)
        self.fields["language"] = language_field(client.language)


class PasswordChangeForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Repeat new password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_current_password(self) -> str:
        value = self.cleaned_data["current_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(_("Your current password is not correct"))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("The two passwords do not match"))
        return data


def cycle_label(cycle: str) -> str:
    try:
        return gettext(CYCLE_LABELS[Cycle(cycle)])
    except ValueError:
        return cycle


class ConfigureForm(forms.Form):
    """Billing cycle and hostname of one product before it goes into the cart."""

    cycle = forms.ChoiceField(label=_("Billing cycle"), required=False)
    hostname = forms.CharField(
        label=_("Hostname"),
        required=False,
        max_length=253,
        validators=[single_line],
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, product: Product, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        prices = list(product.prices.all())
        # A metered product with price rows offers their cycles (base price + usage); without, monthly.
        if product.price_type == Product.PriceType.RECURRING or (product.price_type == "metered" and prices):
            choices = []
            for price in prices:
                label = f"{cycle_label(price.cycle)} — {price.amount} {currency}"
                if price.setup_fee:
                    label += " + " + gettext("%(fee)s %(currency)s setup fee") % {
                        "fee": price.setup_fee,
                        "currency": currency,
                    }
                choices.append((price.cycle, label))
            self.fields["cycle"].choices = choices
            self.fields["cycle"].required = True
            if choices:
                self.fields["cycle"].initial = choices[0][0]
        else:
            # Free and one-time products have no cycle to choose.
            del self.fields["cycle"]
        hostname = self.fields["hostname"]
        # The required flag is checked by price_item (one message for every face); the browser
        # gets the attribute so the visitor learns it before submitting.
        if product.hostname_required:
            hostname.widget.attrs["required"] = True
        hostname.help_text = HOSTNAME_HINTS.get(HostnameRule(product.hostname_validation), "")
        hostname.widget.attrs["placeholder"] = "example.com"
        if not product.hostname_required:
            hostname.label = _("Hostname (optional)")


class CheckoutForm(ShownVersionsMixin, forms.Form):
    notes = forms.CharField(
        label=_("Notes / additional information"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Optional")}),
    )

    def __init__(self, *args: Any, contracts: list[ContractVersion] = (), captcha: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contracts = list(contracts)
        if self.contracts:
            names = ", ".join(v.template.name for v in self.contracts)
            self.add_acceptance(
                "accept_contracts", self.contracts, _("I have read and accepted the %(names)s") % {"names": names}
            )
        if captcha:
            self.fields["captcha"] = captcha_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            self.contracts
            and data.get("accept_contracts")
            and not self.shown_current("accept_contracts", self.contracts)
        ):
            self.add_error("accept_contracts", _("The contract has changed; please read it again"))
            self.data = self.data.copy()
            self.data["accept_contracts_versions"] = version_ids(self.contracts)
            self.data["accept_contracts"] = ""
        return data

    @property
    def accepted(self) -> bool:
        return bool(self.contracts and self.cleaned_data.get("accept_contracts"))
