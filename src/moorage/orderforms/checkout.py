"""Order forms' part of checkout (see moorage.services.components): the answers are checked and priced
from the form's rows, and stored with the new service."""

from __future__ import annotations

import datetime as dt

from moorage.catalog.models import Product
from moorage.core.models import User
from moorage.orderforms.answers import clean_answers, field_charges, form_fields
from moorage.orderforms.models import ServiceFormAnswer
from moorage.services.components import CartComponent, CartItem, Charge
from moorage.services.models import Service


class OrderFormComponent(CartComponent):
    code = "form"

    def price(self, item: CartItem, product: Product, cycle: str, *, index: int) -> list[Charge]:
        fields = form_fields(product)
        answers = clean_answers(fields, item.form_answers, prefix=f"items[{index}].form.")
        return [charge for f in fields for charge in field_charges(f, answers[f.code])]

    def place(
        self,
        *,
        item: CartItem,
        service: Service,
        charges: list[Charge],
        order_id: int,
        now: dt.datetime,
        actor: User | None,
    ) -> None:
        fields = form_fields(service.product_id)
        if not fields:
            return
        answers = clean_answers(fields, item.form_answers)  # priced with the same rows a moment ago
        ServiceFormAnswer.objects.bulk_create(
            [
                ServiceFormAnswer(
                    service=service, field=f, code=f.code, label=f.label, value=answers[f.code], updated_at=now
                )
                for f in fields
            ]
        )


COMPONENT = OrderFormComponent()
