"""Background entry point: charge a renewal invoice on the client's saved card (Service Auto Payment)."""

from django_tasks import task

from moorage.core import clock


@task()
def run_auto_charge(charge_id: int) -> str:
    from moorage.payments.autopay import auto_charge_run

    return auto_charge_run(charge_id=charge_id, now=clock.now())
