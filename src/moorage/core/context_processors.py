"""Template context every page needs: company name and the test-clock banner."""

from django.conf import settings

from moorage.core import clock


def moorage(request):  # noqa: ANN001
    return {
        "company_name": settings.MOORAGE_COMPANY_NAME,
        "bank_details": settings.MOORAGE_BANK_DETAILS,
        "test_clock": settings.MOORAGE_CLOCK_DATE if clock.test_clock_active() else "",
        "currency": settings.MOORAGE_CURRENCY,
    }
