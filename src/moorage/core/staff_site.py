"""The staff area's admin site: sign-in with throttling and two-factor, and the two-factor page
where staff enrol an authenticator app and get their recovery codes."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login

from moorage.core import logins, two_factor


class StaffAuthenticationForm(AdminAuthenticationForm):
    """Email, password and, for staff who enrolled, the code from their app or a recovery code.
    Every failure reads the same, so the form never tells that the password alone was right."""

    otp_token = forms.CharField(
        label=_("Authentication code"),
        required=False,
        max_length=32,
        strip=True,
        help_text=_(
            "From your authenticator app, or one of your recovery codes. Leave empty if you have not set up "
            "two-factor sign-in yet."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none"}),
    )
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": "Please enter the correct email address and password of a staff account, and the "
        "authentication code if you have set up two-factor sign-in.",
    }

    def clean_username(self) -> str:
        return logins.normalise_username(self.cleaned_data.get("username"))

    def _count_failure(self, username: str) -> None:
        user_login_failed.send(sender=__name__, credentials={"username": username}, request=self.request)

    def _refuse(self) -> ValidationError:
        if logins.is_locked_out(self.request):
            return ValidationError(logins.lockout_message(staff=True), code="locked_out")
        return self.get_invalid_login_error()

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data
        user = authenticate(self.request, username=username, password=password)  # axes counts failures
        if user is None:
            raise self._refuse()
        try:
            self.confirm_login_allowed(user)  # active staff only
        except ValidationError:
            self._count_failure(username)  # a client's password here counts like a wrong one
            raise self._refuse() from None
        if two_factor.has_device(user):
            device = two_factor.verify_code(user, self.cleaned_data.get("otp_token") or "")
            if device is None:
                # A wrong or missing code is one more failed sign-in for axes (per account and IP).
                self._count_failure(username)
                raise self._refuse()
            user.otp_device = device  # django-otp's user_logged_in receiver keeps it in the session
        self.user_cache = user
        logins.clear_failures(self.request, username)
        return self.cleaned_data


class TwoFactorForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def _qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=5, border=2)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class StaffAdminSite(admin.AdminSite):
    site_header = _("Moorage staff area")
    site_title = "Moorage"
    index_title = _("Billing and automation")
    login_form = StaffAuthenticationForm
    login_template = "admin/moorage/login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and two_factor.passes(request.user)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        user = request.user
        if (
            request.method == "GET"
            and user.is_authenticated
            and user.is_active
            and user.is_staff
            and not two_factor.passes(user)
            and not two_factor.has_device(user)
        ):
            # Two-factor is required and this staff member has no device yet: enrol first.
            target = reverse("admin:two_factor", current_app=self.name)
            next_url = request.GET.get("next", "")
            if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                target += "?" + request.GET.urlencode()
            return HttpResponseRedirect(target)
        response = super().login(request, extra_context)
        if logins.is_locked_out(request):
            response.status_code = logins.LOCKED_OUT_STATUS
        return response

    def get_urls(self) -> list[Any]:
        return [path("two-factor/", self.two_factor_view, name="two_factor"), *super().get_urls()]

    def two_factor_view(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not two_factor.may_manage(user):
            # Not signed in as staff, or enrolled but not verified in this session: sign in with a code.
            return redirect_to_login(request.get_full_path(), reverse("admin:login", current_app=self.name))
        context: dict[str, Any] = {
            **self.each_context(request),
            "title": "Two-factor sign-in",
            "required": two_factor.required(),
            "enrolled": two_factor.has_device(user),
            "next": self._next(request),
        }
        action = request.POST.get("action") if request.method == "POST" else None
        if action == "recovery_codes" and context["enrolled"]:
            context["codes"] = two_factor.staff_2fa_new_recovery_codes(user=user)
            return self._never_cached(render(request, "admin/moorage/two_factor_codes.html", context))
        form = TwoFactorForm(request.POST if action == "enrol" else None)
        if action == "enrol" and form.is_valid():
            result = two_factor.staff_2fa_enrol(
                user=user, device_id=_int(request.POST.get("device")), code=form.cleaned_data["code"]
            )
            if result is not None:
                device, codes = result
                otp_login(request, device)  # this session is now verified with the new app
                context.update(codes=codes, enrolled=True)
                return self._never_cached(render(request, "admin/moorage/two_factor_codes.html", context))
            form.add_error("code", _("This code is not correct. Check the time on your phone and try the newest code."))
        if context["enrolled"] and action != "enrol" and request.GET.get("new") != "1":
            context["codes_left"] = two_factor.recovery_codes_left(user)
            return self._never_cached(render(request, "admin/moorage/two_factor.html", context))
        device = two_factor.pending_device(user)
        uri = device.config_url
        secret = b32encode(device.bin_key).decode()
        context.update(form=form, device=device, otpauth_uri=uri, qr_svg=_qr_svg(uri), secret=_grouped(secret))
        return self._never_cached(render(request, "admin/moorage/two_factor_enrol.html", context))

    def _next(self, request: HttpRequest) -> str:
        target = request.POST.get("next") or request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return target
        return reverse("admin:index", current_app=self.name)

    @staticmethod
    def _never_cached(response: HttpResponse) -> HttpResponse:
        add_never_cache_headers(response)  # the page shows a secret key or recovery codes
        return response


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0
