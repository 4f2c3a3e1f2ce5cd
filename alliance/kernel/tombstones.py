"""Keep tombstones in step with what the public site shows.

The API lets partners ask what left the site since a time. Every way an
object stops being public goes through here: saving it unpublished or under
a new slug (`Publishable.save`), bulk unpublishing (`PublishableQuerySet`),
and deleting it (a pre_delete receiver, because bulk deletes in the admin do
not call `Model.delete`; it runs in the deletion's transaction).
"""

from django.apps import apps
from django.db.models.signals import pre_delete
from django.utils import timezone

from alliance.kernel.changes import Kind, announce, keys_changed
from alliance.kernel.models import Tombstone


def resource_of(model):
    """The API list a model's items are in (its `api_resource`), or None for a model not in the API."""
    return getattr(model, "api_resource", None)


def resources():
    """Model label -> API resource name, for every model in the API."""
    return {
        model._meta.label_lower: resource_of(model)
        for model in apps.get_models()
        if resource_of(model)
    }


def bury(model, slugs, reason):
    resource = resource_of(model)
    if not resource or not slugs:
        return
    now = timezone.now()
    for slug in slugs:
        Tombstone.objects.update_or_create(
            resource=resource, slug=slug, defaults={"reason": reason, "removed_at": now}
        )
    keys_changed(models=[Tombstone])
    announce(resource, slugs, Kind.WITHDRAWN, time=now, reason=reason)


def revive(model, slugs):
    resource = resource_of(model)
    if not (resource and slugs):
        return
    removed, _by_model = Tombstone.objects.filter(
        resource=resource, slug__in=list(slugs)
    ).delete()
    if removed:
        keys_changed(models=[Tombstone])


def record_deletion(sender, instance, **kwargs):
    """Bury an object about to be deleted if the public sees it, under its stored slug."""
    stored = (
        sender._base_manager.using(instance._state.db)
        .filter(sender.published_condition(), pk=instance.pk)
        .values_list("slug", flat=True)
        .first()
    )
    if stored is not None:
        bury(sender, [stored], "deleted")


def connect():
    for label in resources():
        pre_delete.connect(
            record_deletion,
            sender=apps.get_model(label),
            dispatch_uid=f"tombstone-{label}",
        )
