"""Client area URLs."""

from django.urls import path

from moorage.clientarea import cancellations, emails, fn_extras, ordering, password_reset, upgrades, usage, views
from moorage.clientarea.fn_panel import service_databases, service_emails, service_ftp_users

app_name = "clientarea"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("register/", views.register_view, name="register"),
    path("password-reset/", password_reset.ClientPasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", password_reset.ClientPasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        password_reset.ClientPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        password_reset.ClientPasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("stop-impersonation/", views.stop_impersonation, name="stop_impersonation"),
    path("order/", ordering.order_index, name="order"),
    path("order/product/<int:product_id>/", ordering.product_configure, name="product"),
    path("order/<slug:slug>/", ordering.order_page, name="order_page"),
    path("cart/", ordering.cart_view, name="cart"),
    path("cart/remove/<int:index>/", ordering.cart_remove, name="cart_remove"),
    path("checkout/", ordering.checkout, name="checkout"),
    path("orders/<int:number>/complete/", ordering.order_complete, name="order_complete"),
    path("services/", views.service_list, name="services"),
    path("services/<int:pk>/", views.service_detail, name="service"),
    path(
        "services/<int:pk>/control-panel/",
        views.service_control_panel,
        name="service_control_panel",
    ),
    path("services/<int:pk>/databases/", service_databases, name="service_databases"),
    path("services/<int:pk>/emails/", service_emails, name="service_emails"),
    path("services/<int:pk>/ftp-users/", service_ftp_users, name="service_ftp_users"),
    path("services/<int:pk>/metered/", usage.service_metered, name="service_metered"),
    path("services/<int:pk>/usage/", usage.service_usage, name="service_usage"),
    path("services/<int:pk>/upgrade/", upgrades.service_upgrade, name="service_upgrade"),
    path("services/<int:pk>/billing-cycle/", upgrades.service_cycle, name="service_cycle"),
    path("services/<int:pk>/cancel/", cancellations.service_cancel, name="service_cancel"),
    path("services/<int:pk>/cancel/withdraw/", cancellations.service_cancel_withdraw, name="service_cancel_withdraw"),
    path("services/<int:pk>/auto-renewal/", fn_extras.service_auto_renewal, name="service_auto_renewal"),
    path("services/<int:pk>/auto-payment/", fn_extras.service_auto_payment, name="service_auto_payment"),
    path("services/<int:pk>/notes/", fn_extras.service_notes, name="service_service_notes"),
    path("services/<int:pk>/status-updates/", fn_extras.service_status_updates, name="service_status_updates"),
    path("services/<int:pk>/downloads/", fn_extras.service_downloads, name="service_downloads"),
    path("services/<int:pk>/downloads/<int:download_id>/", fn_extras.service_download, name="service_download"),
    path("services/<int:pk>/invoices/", fn_extras.service_related_invoices, name="service_related_invoices"),
    path("credit-notes/", cancellations.credit_note_list, name="credit_notes"),
    path("credit-notes/<int:number>/", cancellations.credit_note_detail, name="credit_note"),
    path("credit-notes/<int:number>/pdf/", cancellations.credit_note_pdf, name="credit_note_pdf"),
    path("invoices/", views.invoice_list, name="invoices"),
    path("invoices/<int:number>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:number>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path(
        "invoices/<int:number>/pay-from-credit/",
        views.invoice_pay_credit,
        name="invoice_pay_credit",
    ),
    path("emails/", emails.email_list, name="emails"),
    path("emails/<int:pk>/", emails.email_detail, name="email"),
    path("account/", views.account, name="account"),
    path("account/password/", views.password_change, name="password"),
]
