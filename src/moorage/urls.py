"""URL map: the client area at /, the staff area at /admin/, the REST API at /api/v1/."""

from captcha import views as captcha_views
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from moorage.api.urls import api

admin.site.site_header = _("Moorage staff area")
admin.site.site_title = "Moorage"
admin.site.index_title = _("Billing and automation")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("payments/", include("moorage.payments.urls")),
    # Only the pictures of django-simple-captcha (its audio and refresh views are not offered).
    re_path(r"^captcha/image/(?P<key>\w+)/$", captcha_views.captcha_image, {"scale": 1}, name="captcha-image"),
    re_path(r"^captcha/image/(?P<key>\w+)@2/$", captcha_views.captcha_image, {"scale": 2}, name="captcha-image-2x"),
    path("", include("moorage.clientarea.urls")),
]
