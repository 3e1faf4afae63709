"""Staff forms for clients, built from the registration field configuration."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from moorage.customers.models import Client, ClientGroup, RegistrationField
from moorage.customers.registration import BUILTIN_KEYS, MAX_LENGTHS, form_fields

# Names the staff client forms use for themselves; a custom registration field cannot take them.
RESERVED_KEYS = frozenset({"email", "password", "password2", "status", "group", "notes", "user", "language"})


def language_field() -> forms.ChoiceField:
    """The language of the client's pages and emails."""
    # Not required: a form posted without it (an older page, a script) keeps the default / current value.
    return forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
        required=False,
        help_text=_("The client's pages and emails are in this language."),
    )


def _option_label(field: RegistrationField, option: str) -> str:
    if field.key == "account_type" and option in Client.AccountType.values:
        return Client.AccountType(option).label
    return option


def profile_form_fields() -> dict[str, forms.Field]:
    """One form field per shown registration field (built-in and custom), in the configured order.

    Staff may leave fields empty that a client must fill (client_register / client_update with
    by_staff=True), so "required" is shown as a hint, not enforced here.
    """
    fields: dict[str, forms.Field] = {}
    for rf in form_fields():
        label = gettext(rf.label) if rf.builtin else rf.label  # Moorage's own words; custom ones are staff's
        hint = _("Required when the client registers.") if rf.required else ""
        if rf.kind == RegistrationField.Kind.CHECKBOX:
            field: forms.Field = forms.BooleanField(label=label, required=False, help_text=hint)
        elif rf.kind == RegistrationField.Kind.SELECT:
            choices = [("", "---------")] + [(o, _option_label(rf, o)) for o in rf.option_list]
            field = forms.ChoiceField(label=label, choices=choices, required=False, help_text=hint)
        else:
            field = forms.CharField(label=label, required=False, help_text=hint, max_length=MAX_LENGTHS.get(rf.key))
        fields[rf.key] = field
    return fields


class ProfileFormMixin:
    """Keeps the names of the form's registration fields, to build the action's profile."""

    profile_keys: list[str]

    def _add_profile_fields(self) -> None:
        fields = profile_form_fields()
        self.profile_keys = list(fields)
        self.fields.update(fields)  # type: ignore[attr-defined]

    def profile(self) -> dict[str, Any]:
        data = self.cleaned_data  # type: ignore[attr-defined]
        return {key: data.get(key) for key in self.profile_keys}


class ClientRegisterForm(ProfileFormMixin, forms.Form):
    """Clients → Register New Client."""

    email = forms.EmailField(label=_("Email Address"))
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Leave empty to register the client without a password (the client cannot log in until one is set)."
        ),
    )
    password2 = forms.CharField(
        label=_("Repeat Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._add_profile_fields()
        self.fields["language"] = language_field()
        self.fields["status"] = forms.ChoiceField(
            label=_("Status"), choices=Client.Status.choices, initial=Client.Status.ACTIVE
        )
        self.fields["group"] = forms.ModelChoiceField(
            label=_("Group"), queryset=ClientGroup.objects.all(), required=False, empty_label=_("None")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password", "") != data.get("password2", ""):
            self.add_error("password2", _("The two passwords do not match."))
        return data


class ClientProfileForm(ProfileFormMixin, forms.Form):
    """The client's login email and profile, as staff edit them on the client page."""

    email = forms.EmailField(label=_("Email Address"))

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._add_profile_fields()
        self.fields["email"].initial = client.user.email
        self.fields["language"] = language_field()
        self.fields["language"].initial = client.language
        for key in self.profile_keys:
            if key in BUILTIN_KEYS:
                self.fields[key].initial = getattr(client, key)
            else:
                self.fields[key].initial = client.custom_fields.get(key)


class ClientStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Client.Status.choices)
    group = forms.ModelChoiceField(
        label=_("Group"), queryset=ClientGroup.objects.all(), required=False, empty_label=_("None")
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=300, required=False, help_text=_("Recorded in the audit log")
    )


class SetPasswordForm(forms.Form):
    password = forms.CharField(label=_("New password"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Repeat password"), strip=False, widget=forms.PasswordInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("The two passwords do not match."))
        return data


class RegistrationFieldForm(forms.ModelForm):
    """A registration field: built-ins change only shown/required/label/order; custom ones all."""

    class Meta:
        model = RegistrationField
        fields = ["key", "label", "kind", "options", "shown", "required", "sort_order"]

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if key in RESERVED_KEYS:
            raise forms.ValidationError(_("%(key)r is used by the client forms; choose another key.") % {"key": key})
        return key

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind", getattr(self.instance, "kind", ""))
        options = [o.strip() for o in (data.get("options") or "").splitlines() if o.strip()]
        if kind == RegistrationField.Kind.SELECT and not options and "options" in self.fields:
            self.add_error("options", _("A select field needs at least one option (one per line)."))
        if kind != RegistrationField.Kind.SELECT and options and "options" in self.fields:
            self.add_error("options", _("Only select fields have options."))
        return data
