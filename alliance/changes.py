"""The signal of every public change, for whoever wants to be told (webhooks).

Publishing, withdrawing, renaming, deleting and editing what the public sees
all pass through the publishing and tombstone modules; they announce each
change here, inside the transaction that makes it. A receiver that writes
in the same transaction (an outbox) commits or rolls back with the change.

`public_change` is sent with:
- `resource`: the API resource name ("news", "members", ...);
- `slugs`: the slugs concerned (a bulk publish announces many at once);
- `kind`: one of `Kind`;
- `time`: when it happened;
- `reason`: for a withdrawal, the tombstone's reason ("unpublished",
  "deleted"); empty otherwise.

It never carries anything the public API does not show.
"""

from django.db import models
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

public_change = Signal()


class Kind(models.TextChoices):
    PUBLISHED = "published", _("published")
    UPDATED = "updated", _("updated")
    WITHDRAWN = "withdrawn", _("withdrawn")


def announce(resource, slugs, kind, *, time=None, reason=""):
    """Tell the receivers of `public_change` that these objects changed publicly."""
    slugs = [slug for slug in dict.fromkeys(slugs) if slug]
    if not resource or not slugs:
        return
    public_change.send(
        sender=Kind,
        resource=resource,
        slugs=slugs,
        kind=Kind(kind),
        time=time or timezone.now(),
        reason=reason,
    )
