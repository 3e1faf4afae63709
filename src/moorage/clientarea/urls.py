"""Client area URLs."""

from django.urls import path

from moorage.clientarea import cancellations, emails, fn_service, ordering, password_reset, upgrades, usage, views

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
    path("services/<int:pk>/metered/", usage.service_metered, name="service_metered"),
    path("services/<int:pk>/usage/", usage.service_usage, name="service_usage"),
    path("services/<int:pk>/upgrade/", upgrades.service_upgrade, name="service_upgrade"),
    path("services/<int:pk>/billing-cycle/", upgrades.service_cycle, name="service_cycle"),
    path("services/<int:pk>/cancel/", cancellations.service_cancel, name="service_cancel"),
    path("services/<int:pk>/cancel/withdraw/", cancellations.service_cancel_withdraw, name="service_cancel_withdraw"),
    path("services/<int:pk>/label/", fn_service.service_change_label, name="service_change_label"),
    path("services/<int:pk>/ownership/", fn_service.service_change_ownership, name="service_change_ownership"),
    path(
        "services/<int:pk>/ownership/withdraw/",
        fn_service.service_change_ownership_withdraw,
        name="service_change_ownership_withdraw",
    ),
    path("services/<int:pk>/logs/", fn_service.service_logs, name="service_logs"),
    path("services/<int:pk>/renew/", fn_service.service_manual_renew_view, name="service_manual_renew"),
    path("services/<int:pk>/direct-link/", fn_service.service_direct_link_view, name="service_direct_link"),
    path("s/<str:token>/", fn_service.direct_link_open, name="direct_link_open"),
    path("services/<int:pk>/related/", fn_service.service_related_services, name="service_related_services"),
    path("services/<int:pk>/reset-password/", fn_service.service_reset_password, name="service_reset_password"),
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
