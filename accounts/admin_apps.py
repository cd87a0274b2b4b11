from django.contrib.admin.apps import AdminConfig


class SecureAdminConfig(AdminConfig):
    """Django's admin, whose login is the app's own (lockout by username, second factor)."""

    default_site = "accounts.admin_site.SecureAdminSite"
