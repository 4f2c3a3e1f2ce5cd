"""Keep tombstones in step with what the public site shows.

The API lets partners ask what left the site since a time. Every way an
object stops being public goes through here: saving it unpublished or under
a new slug (`Publishable.save`), bulk unpublishing (`PublishableQuerySet`),
and deleting it (a post_delete receiver, because bulk deletes in the admin do
not call `Model.delete`).
"""

from django.db.models.signals import post_delete
from django.utils import timezone

from .changes import Kind, announce

# Model label -> API resource name.
RESOURCES = {
    "members.member": "members",
    "members.sector": "sectors",
    "news.article": "news",
    "news.tag": "tags",
    "alliance.scenario": "scenarios",
    "alliance.field": "fields",
    "alliance.event": "events",
    "alliance.initiative": "initiatives",
    "alliance.page": "pages",
}


def resource_of(model):
    return RESOURCES.get(model._meta.label_lower)


def bury(model, slugs, reason):
    from .models import Tombstone

    resource = resource_of(model)
    if not resource or not slugs:
        return
    now = timezone.now()
    for slug in slugs:
        Tombstone.objects.update_or_create(
            resource=resource, slug=slug, defaults={"reason": reason, "removed_at": now}
        )
    announce(resource, slugs, Kind.WITHDRAWN, time=now, reason=reason)


def revive(model, slugs):
    from .models import Tombstone

    resource = resource_of(model)
    if resource and slugs:
        Tombstone.objects.filter(resource=resource, slug__in=list(slugs)).delete()


def record_deletion(sender, instance, **kwargs):
    if getattr(instance, "_was_published", False):
        bury(sender, [instance._loaded_slug or instance.slug], "deleted")


def connect():
    from django.apps import apps

    for label in RESOURCES:
        post_delete.connect(
            record_deletion,
            sender=apps.get_model(label),
            dispatch_uid=f"tombstone-{label}",
        )
