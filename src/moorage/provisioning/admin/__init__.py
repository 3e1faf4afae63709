"""Staff area for provisioning: Settings → Modules → Hosting Modules, Apps Connections (with Test
Configuration), server groups, the product's App settings, provisioning jobs (Retry), and the panel
account on the service page (Create, Suspend … Login to control panel).

Views collect input and call the provisioning actions; the rules live in the actions. The product
and service pages show what is here through the hooks of the catalog and services admins, so those
apps never import provisioning. Importing the submodules registers their admins.
"""

from moorage.provisioning.admin import connections, jobs, modules, product_app

__all__ = ["connections", "jobs", "modules", "product_app"]
