"""The staff area's app config: Django's admin, with Moorage's site (two-factor sign-in) as the
default site, so `admin.site` and every `@admin.register` use it."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "moorage.core.staff_site.StaffAdminSite"
