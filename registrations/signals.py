"""What the public pages learn from a change of the registration settings."""

from alliance.response_cache import content_changed


def settings_changed(sender, **kwargs):
    """An event's page says whether it takes registrations: cached copies become stale."""
    content_changed()
