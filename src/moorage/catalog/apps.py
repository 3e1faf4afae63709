"""Order pages, products, prices, import and export."""

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "moorage.catalog"
    label = "catalog"
    verbose_name = "Catalog"
