"""Client password reset: Django's token views (links that expire and work once) in the client
area's style. Staff accounts are never reset here, the pages never tell whether an address has an
account, and requests are rate limited per address and per email."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from moorage.clientarea.forms import add_domain_error
from moorage.core import clock, logins
from moorage.core.errors import DomainError
from moorage.core.models import User
from moorage.customers.actions import client_set_password
from moorage.customers.models import Client
from moorage.notifications.actions import password_reset_send

RATE_WINDOW_SECONDS = 60 * 60


def may_reset_here(user: User | None) -> bool:
    """Only an active client's own login: staff reset their password in the staff area."""
    if user is None or not user.is_active or user.is_staff or user.is_superuser:
        return False
    client = getattr(user, "client", None)
    return client is not None and client.status != Client.Status.CLOSED


def _take(key: str, limit: int) -> bool:
    """Count one request against `key` for an hour; False once `limit` is passed."""
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS)
        count = 1
    return count <= limit


class ClientPasswordResetForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Email Address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def get_users(self, email: str) -> Any:
        email = logins.normalise_username(email)
        for user in User.objects.filter(email=email).select_related("client"):
            if may_reset_here(user) and user.has_usable_password():
                yield user

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """The reset email is the Password reset notification (its template is edited by staff, in
        the client's language), not Django's own email."""
        path = reverse("clientarea:password_reset_confirm", args=[context["uid"], context["token"]])
        url = f"{context['protocol']}://{context['domain']}{path}"
        password_reset_send(client=context["user"].client, reset_url=url, now=clock.now())


class ClientSetPasswordForm(SetPasswordForm):
    """The new password goes through client_set_password: the same checks and audit entry as a
    change on the account page."""

    def save(self, commit: bool = True) -> Any:
        client_set_password(
            client=self.user.client,
            password=self.cleaned_data["new_password1"],
            now=clock.now(),
            actor=self.user,
        )
        return self.user


class ClientPasswordResetView(auth_views.PasswordResetView):
    template_name = "clientarea/password_reset_form.html"
    email_template_name = "clientarea/password_reset_email.txt"
    subject_template_name = "clientarea/password_reset_subject.txt"
    form_class = ClientPasswordResetForm
    success_url = reverse_lazy("clientarea:password_reset_done")

    def form_valid(self, form: ClientPasswordResetForm) -> HttpResponse:
        limit = settings.MOORAGE_PASSWORD_RESET_LIMIT
        ip = logins.client_ip(self.request) or "-"
        if not _take(f"moorage:pwreset:ip:{ip}", limit):
            form.add_error(None, _("Too many password reset requests from your network. Please try again in an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=logins.LOCKED_OUT_STATUS)
        email = logins.normalise_username(form.cleaned_data["email"])
        digest = hashlib.sha256(email.encode()).hexdigest()
        # Past the per-email limit nothing more is sent, and the page looks the same as ever.
        if _take(f"moorage:pwreset:email:{digest}", limit):
            site = urlsplit(settings.MOORAGE_SITE_URL) if settings.MOORAGE_SITE_URL else None
            form.save(
                domain_override=site.netloc if site else None,
                use_https=site.scheme == "https" if site else self.request.is_secure(),
                token_generator=self.token_generator,
                from_email=self.from_email,
                email_template_name=self.email_template_name,
                subject_template_name=self.subject_template_name,
                request=self.request,
                extra_email_context={"company_name": settings.MOORAGE_COMPANY_NAME},
            )
        return HttpResponseRedirect(self.get_success_url())


class ClientPasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "clientarea/password_reset_done.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "timeout_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}


class ClientPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "clientarea/password_reset_confirm.html"
    form_class = ClientSetPasswordForm
    success_url = reverse_lazy("clientarea:password_reset_complete")
    post_reset_login = False

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if may_reset_here(user) else None

    def form_valid(self, form: ClientSetPasswordForm) -> HttpResponse:
        try:
            form.save()
        except DomainError as exc:
            add_domain_error(form, exc)
            return self.form_invalid(form)
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        logins.clear_account(self.user.email)  # the mailbox is proven: lift a lockout of the account
        return HttpResponseRedirect(self.get_success_url())


class ClientPasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "clientarea/password_reset_complete.html"
