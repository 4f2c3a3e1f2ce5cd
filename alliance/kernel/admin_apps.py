"""The Django admin, installed with this site's own AdminSite (second factor where required)."""

from django.contrib.admin.apps import AdminConfig


class AllianceAdminConfig(AdminConfig):
    default_site = "alliance.kernel.admin_site.AllianceAdminSite"
