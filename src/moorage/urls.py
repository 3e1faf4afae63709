"""URL map: the client area at /, the staff area at /admin/, the REST API at /api/v1/."""

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from moorage.api.urls import api

admin.site.site_header = _("Moorage staff area")
admin.site.site_title = "Moorage"
admin.site.index_title = _("Billing and automation")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("payments/", include("moorage.payments.urls")),
    path("", include("moorage.clientarea.urls")),
]
