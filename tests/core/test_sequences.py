"""Document numbers: sequential per name, never reused, taken inside the action's transaction."""

import pytest
from django.db import transaction

from moorage.core.actions import next_number
from moorage.core.models import Sequence


@pytest.mark.django_db
def test_numbers_are_sequential_per_name():
    with transaction.atomic():
        assert [next_number("invoice") for _ in range(3)] == [1, 2, 3]
        assert next_number("order") == 1
        assert next_number("invoice") == 4
    assert dict(Sequence.objects.values_list("name", "last_value")) == {"invoice": 4, "order": 1}


@pytest.mark.django_db(transaction=True)
def test_a_number_is_only_taken_inside_a_transaction():
    with pytest.raises(RuntimeError, match="transaction"):
        next_number("invoice")
    assert not Sequence.objects.exists()


@pytest.mark.django_db
def test_a_rolled_back_number_is_not_kept():
    with transaction.atomic():
        assert next_number("invoice") == 1
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        next_number("invoice")
        1 / 0  # noqa: B018
    with transaction.atomic():
        assert next_number("invoice") == 2
