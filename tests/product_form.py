"""Test helper: the management-form fields of every inline on the staff product page.

Component apps add inlines to the product page (`catalog.admin.product_inlines`: add-ons, order form
fields, domain options, contract …); a test that posts the product form must send each inline's
management form, with no rows, or Django refuses the post. This builds them from the inlines that are
registered, so a new inline does not break every product-form test.
"""

from __future__ import annotations

from django.forms.models import inlineformset_factory


def inline_management_data() -> dict[str, int]:
    from moorage.catalog.admin import product_inlines
    from moorage.catalog.models import Product

    data: dict[str, int] = {}
    for inline in product_inlines:
        formset = inlineformset_factory(Product, inline.model, fk_name=getattr(inline, "fk_name", None), fields=[])
        prefix = formset.get_default_prefix()
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": 0,
                f"{prefix}-INITIAL_FORMS": 0,
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
    return data
