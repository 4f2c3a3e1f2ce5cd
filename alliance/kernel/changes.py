"""Change tracking: when public content last changed, anywhere.

One row (`ContentChange`) holds the time of the last change to public
content. Every save, deletion, relation change and bulk publish of a model
of a public-content app moves it on, in the same transaction as the change,
so the change and the end of every answer that predates it commit together.
The response cache serves a stored answer only while this "generation" is
still the current one, and the API's Last-Modified starts from it.

Each public change of one item is also announced, with `public_change`:
publishing, withdrawing, renaming, deleting and editing what the public sees
all pass through the publishing and tombstone modules, which send it inside
the transaction that makes the change. A receiver that writes in the same
transaction (an outbox: the webhooks' events) commits or rolls back with
the change. It is sent with:
- `resource`: the API resource name ("news", "members", ...);
- `slugs`: the slugs concerned (a bulk publish announces many at once);
- `kind`: one of `Kind`;
- `time`: when it happened;
- `reason`: for a withdrawal, the tombstone's reason ("unpublished",
  "deleted"); empty otherwise.
It never carries anything the public API does not show.

An app is public content when its AppConfig says `public_content = True`;
a model of such an app that the public never sees (membership applications)
says `private_content = True`.
"""

import contextvars
import datetime

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_save,
    pre_delete,
    pre_save,
)
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.kernel import neighbours, record_keys
from alliance.kernel.models import ContentChange

# Sent after the commit of a change to public content, with `tables`: the
# database tables it wrote, and `keys`: the surrogate keys of the answers it
# may have changed (`record_keys`), both empty when anything may have
# changed (a restore, a data load). A caching proxy in front purges by the
# keys (`proxy_cache`); its receivers must not raise.
public_content_changed = Signal()
# The tables and keys changed in transactions not yet announced.
_changed_tables = set()
_changed_keys = set()
_changed_everything = False

public_change = Signal()


class Kind(models.TextChoices):
    PUBLISHED = "published", _("published")
    UPDATED = "updated", _("updated")
    WITHDRAWN = "withdrawn", _("withdrawn")


def announce(resource, slugs, kind, *, time=None, reason=""):
    """Tell the receivers of `public_change` that these items changed publicly."""
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


# Within a request the generation is read once (the middleware opens a box
# for it); outside one, every call reads the database.
request_generation = contextvars.ContextVar("request_generation", default=None)


def current_generation():
    """The generation of the public content: when it last changed, as the database says.

    One read of a one-row table by its primary key, once per request.
    """
    box = request_generation.get()
    if box is not None and box[0] is not None:
        return box[0]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT changed_at FROM {ContentChange._meta.db_table} WHERE id = 1"
        )
        row = cursor.fetchone()
    generation = str(row[0]) if row else "0"
    if box is not None:
        box[0] = generation
    return generation


def changed_keys(models=(), records=()):
    """The surrogate keys a change purges when only its models and records are
    known: everything of `models` (lists, columns), and each record's key.
    `records` are (model, primary key) pairs."""
    keys = set()
    for model in models:
        keys |= record_keys.model_keys(model)
    for model, pk in records:
        keys |= record_keys.record_keys(model, pk)
    return keys


def keys_changed(models=(), records=(), keys=()):
    """Add to the next announcement the answers that show `records`, anything
    of `models`, or carry `keys`.

    For changes the generation has moved for already (`content_changed`):
    the nesting objects a change touches, the tombstones it writes.
    """
    if settings.PROXY_PURGE_URLS:
        _changed_keys.update(changed_keys(models, records), keys)
        transaction.on_commit(_announce, robust=True)


def content_changed(*models, records=(), keys=None):
    """Record that public content changed: every cached response becomes stale.

    The time goes into the database with the change itself, so the change
    and the end of every answer that predates it commit together. It only
    ever moves forward (by a microsecond at least, even under a frozen or
    slow clock), so a generation is never used twice. `models` are the
    models written and `records` the (model, primary key) pairs written,
    which `public_content_changed` announces after the commit (none:
    anything may have changed), with the surrogate keys to purge: `keys`,
    or all those of `models` and `records` (`changed_keys`).
    """
    global _changed_everything
    if models or records:
        _changed_tables.update(model._meta.db_table for model in models)
        _changed_tables.update(model._meta.db_table for model, _pk in records)
        if settings.PROXY_PURGE_URLS:
            _changed_keys.update(
                changed_keys(models, records) if keys is None else keys
            )
    else:
        _changed_everything = True
    now = timezone.now()
    moved = ContentChange.objects.filter(pk=1).update(
        changed_at=Greatest(
            Value(now), F("changed_at") + datetime.timedelta(microseconds=1)
        )
    )
    if not moved:
        ContentChange.objects.create(pk=1, changed_at=now)
    box = request_generation.get()
    if box is not None:
        box[0] = None  # read again, as this request now sees it
    # One announcement per commit: the first callback takes every table; a
    # rolled-back transaction's tables go out with the next commit (a purge
    # too many, never one too few).
    transaction.on_commit(_announce, robust=True)


def _announce():
    global _changed_everything
    if not (_changed_tables or _changed_keys or _changed_everything):
        return
    tables = [] if _changed_everything else sorted(_changed_tables)
    keys = [] if _changed_everything else sorted(_changed_keys)
    _changed_tables.clear()
    _changed_keys.clear()
    _changed_everything = False
    public_content_changed.send(sender=content_changed, tables=tables, keys=keys)


def records_shown_with(instance):
    """The records whose answers show this one's children: its parents (foreign
    keys) and, when the proxy is on, the records it links to (many-to-many).

    A record that appears, changes or leaves changes the lists of children
    its parents' answers show (`record_keys.bound`). The links are read from
    the database (one query per relation).
    """
    model = type(instance)
    records = []
    for field in model._meta.concrete_fields:
        if field.many_to_one or field.one_to_one:
            records.append((field.related_model, getattr(instance, field.attname)))
    if instance.pk is not None and settings.PROXY_PURGE_URLS:
        for field in model._meta.many_to_many:
            through = field.remote_field.through
            source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
            records.extend(
                (field.related_model, pk)
                for pk in through._base_manager.filter(
                    **{f"{source}_id": instance.pk}
                ).values_list(f"{target}_id", flat=True)
            )
    return records


def _remember_stored(sender, instance, raw=False, **kwargs):
    """Before a save, read what is stored: the columns it changes name the lists to
    purge; if it moves in its model's neighbour order, the records next to it."""
    if raw or not settings.PROXY_PURGE_URLS:
        return
    if getattr(sender, "private_content", False):
        return
    before = record_keys.stored_values(instance)
    instance._stored_before_save = before
    if before is not None and neighbours.moves(
        sender, record_keys.changed_columns(instance, before)
    ):
        instance._beside_before_change = neighbours.keys_beside(
            sender, instance.pk, using=instance._state.db
        )


def _remember_beside(sender, instance, **kwargs):
    """Before a deletion, read the records next to it in its model's neighbour order."""
    if settings.PROXY_PURGE_URLS and not getattr(sender, "private_content", False):
        instance._beside_before_change = neighbours.keys_beside(
            sender, instance.pk, using=instance._state.db
        )


def _keys_of_change(sender, instance, kwargs):
    """The surrogate keys a saved, deleted or relinked record purges (see `record_keys`)."""
    action = kwargs.get("action")
    keys = set()
    if action is not None:
        # Links of a many-to-many relation: both sides show them, and the
        # lists that go through them.
        model, pk_set = kwargs.get("model"), kwargs.get("pk_set")
        keys |= record_keys.record_keys(type(instance), instance.pk)
        # `publishing.touch_linked` moves the change time of the side that
        # shows the links: the lists that choose by it.
        keys |= record_keys.column_keys(type(instance), ["updated_at"])
        keys |= record_keys.column_keys(model, ["updated_at"])
        if pk_set is None:
            keys |= record_keys.model_keys(model)
        for pk in pk_set or ():
            keys |= record_keys.record_keys(model, pk)
        keys |= record_keys.model_keys(sender)
        return keys
    # The records next to it in its neighbour order, where it was and where
    # it is now: their previous and next links change (`neighbours`).
    keys |= instance.__dict__.pop("_beside_before_change", set())
    deleted = kwargs.get("signal") is post_delete
    if deleted or kwargs.get("created"):
        keys |= record_keys.record_keys(sender, instance.pk, listed=True)
        moved = not deleted
    else:
        before = instance.__dict__.pop("_stored_before_save", None)
        columns = record_keys.changed_columns(instance, before)
        keys |= record_keys.record_keys(
            sender, instance.pk, listed=before is None, columns=columns
        )
        moved = before is None or neighbours.moves(sender, columns)
    if moved:
        keys |= neighbours.keys_beside_later(
            sender, instance.pk, using=instance._state.db
        )
    for model, pk in records_shown_with(instance):
        keys |= record_keys.record_keys(model, pk)
    return keys


def _on_model_change(sender, **kwargs):
    if kwargs.get("raw"):  # loading fixtures
        return
    action = kwargs.get("action")
    if action is not None and action.startswith("pre_"):  # m2m: counted once, after
        return
    if getattr(sender, "private_content", False):
        return
    instance = kwargs.get("instance")
    # What nests this object's summary shows it too, and its change time
    # moves with it (`publishing.touch_referrers`).
    models_ = [
        sender,
        *(relation.related_model for relation in sender._meta.related_objects),
    ]
    keys = None
    if settings.PROXY_PURGE_URLS and instance is not None:
        keys = _keys_of_change(sender, instance, kwargs)
    content_changed(*models_, keys=keys)


def connect():
    """Move the generation on whenever a content model is written."""
    for app_config in apps.get_app_configs():
        if not getattr(app_config, "public_content", False):
            continue
        for model in app_config.get_models():
            uid = f"response-cache-{model._meta.label_lower}"
            pre_save.connect(_remember_stored, sender=model, dispatch_uid=uid)
            post_save.connect(_on_model_change, sender=model, dispatch_uid=uid)
            post_delete.connect(_on_model_change, sender=model, dispatch_uid=uid)
            if record_keys.has_neighbours(model):
                pre_delete.connect(_remember_beside, sender=model, dispatch_uid=uid)
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    _on_model_change,
                    sender=field.remote_field.through,
                    dispatch_uid=f"{uid}-{field.name}",
                )
