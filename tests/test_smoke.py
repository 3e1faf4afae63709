from decimal import Decimal

from moorage.billing.queries import client_credit_balance
from moorage.orders.actions import CartItem, order_checkout
from moorage.payments.actions import payment_record


def test_order_to_active(starter, client_account, now):
    order = order_checkout(client=client_account, items=[CartItem(starter.pk, "monthly", "example.com")], now=now)
    assert order.invoice.total == Decimal("4.99")
    payment_record(
        invoice_id=order.invoice.pk, amount="5.00", gateway="bank_transfer", transaction_id="T-1", now=now, actor=None
    )
    service = order.items.get().service
    service.refresh_from_db()
    assert service.status == "active"
    assert client_credit_balance(client_account) == Decimal("0.01")
