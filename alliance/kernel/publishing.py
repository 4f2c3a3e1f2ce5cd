"""What "published" means, once for every public model.

Every public model has a stable slug, creation and change times and a
publication state. Only published objects are visible anywhere public: pages,
API, feeds, sitemap, search and structured data all start from
`Model.objects.published()`.
"""

import datetime
import functools
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models.signals import m2m_changed, pre_delete
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from alliance.kernel import neighbours, record_keys
from alliance.kernel.changes import (
    Kind,
    announce,
    content_changed,
    keys_changed,
)
from alliance.kernel.models import Release
from alliance.kernel.tasks import enqueue_later, task
from alliance.kernel.tombstones import bury, resource_of, revive
from alliance.kernel.translated import columns

# Stands in for a slug while an address is reversed once; any valid slug would do.
SLUG_MARK = "0-slug-0"


@functools.lru_cache(maxsize=128)
def _around_slug(name, language, script_prefix):
    return reverse(name, kwargs={"slug": SLUG_MARK}).split(SLUG_MARK)


def slug_url(name, slug):
    """The address of URL `name` for an object's slug, as reverse() gives it.

    Pages link to dozens of objects, and reverse() walks the URL patterns
    each time; the address around the slug is worked out once per language.
    """
    before, after = _around_slug(name, get_language(), get_script_prefix())
    return f"{before}{slug}{after}"


@functools.lru_cache(maxsize=128)
def _reversed(name, language, script_prefix):
    return reverse(name)


def list_url(name, **query):
    """The address of list page `name`, reversed once per language, with a query string."""
    url = _reversed(name, get_language(), get_script_prefix())
    return f"{url}?{urlencode(query)}" if query else url


def summary_fields(*translated):
    """What a link to a published object needs: its slug, state and title."""
    return ["slug", "status", *columns(*translated)]


def touch_referrers(model, pks):
    """Mark as changed the public objects whose answers nest these ones.

    An article's API answer shows its tags, members and scenarios; when one
    of those appears, disappears or is renamed, the article's answer changes
    too, and partners who sync by `updated_at` must hear of it.
    """
    if not pks:
        return
    now = timezone.now()
    for relation in model._meta.related_objects:
        referrer = relation.related_model
        if issubclass(referrer, Publishable):
            nesting = referrer.objects.filter(**{f"{relation.field.name}__in": pks})
            public = list(nesting.published().values_list("slug", flat=True))
            if settings.PROXY_PURGE_URLS:
                # Their answers show these objects' summaries, and the lists
                # that choose by change time gain them.
                keys_changed(
                    records=[
                        (referrer, pk)
                        for pk in nesting.values_list("pk", flat=True).distinct()
                    ],
                    keys=record_keys.column_keys(referrer, ["updated_at"]),
                )
            nesting.update(updated_at=now)
            announce(resource_of(referrer), public, Kind.UPDATED, time=now)


def referrers(model):
    """The public models whose answers nest `model`'s objects (see `touch_referrers`)."""
    return [
        relation.related_model
        for relation in model._meta.related_objects
        if issubclass(relation.related_model, Publishable)
    ]


def touch_linked(sender, instance, action, reverse, model, pk_set, **kwargs):
    """When links of a many-to-many relation change, the side that shows them changed."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse and isinstance(instance, Publishable):
        type(instance).objects.filter(pk=instance.pk).update(updated_at=timezone.now())
        if instance.is_published:
            announce(resource_of(type(instance)), [instance.slug], Kind.UPDATED)
    elif reverse and pk_set and issubclass(model, Publishable):
        linked = model.objects.filter(pk__in=pk_set)
        public = list(linked.published().values_list("slug", flat=True))
        linked.update(updated_at=timezone.now())
        announce(resource_of(model), public, Kind.UPDATED)


def touch_before_deletion(sender, instance, **kwargs):
    touch_referrers(sender, [instance.pk])


def connect():
    """Keep `updated_at` of nesting objects in step with links and deletions."""
    for model in apps.get_models():
        if not issubclass(model, Publishable):
            continue
        label = model._meta.label_lower
        pre_delete.connect(
            touch_before_deletion, sender=model, dispatch_uid=f"touch-{label}"
        )
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                touch_linked,
                sender=field.remote_field.through,
                dispatch_uid=f"touch-{label}-{field.name}",
            )


# Announces once per release (below), in one transaction with its Release
# row: a run lost with its worker either committed both or neither, and
# may run again.
@task(retry_lost=2)
def announce_when_public(*, label, pk, at):
    """Announce a scheduled row that went public at `at` by the clock alone.

    Nothing is announced if it was withdrawn or rescheduled meanwhile (its
    new time has a task of its own), nor if this release was announced
    already (each save of a scheduled row queues a task for its time).
    """
    model = apps.get_model(label)
    with transaction.atomic():
        obj = model.objects.filter(pk=pk).first()
        if obj is None or not obj.is_published:
            return False
        goes_public = getattr(obj, model.publish_time_field)
        if goes_public != datetime.datetime.fromisoformat(at):
            return False
        # Once per release, however many saves queued a task for it: a
        # second task (or two running at once: the unique constraint makes
        # one wait for the other) finds the row and announces nothing.
        _release, first = Release.objects.get_or_create(
            model=label, object_pk=str(pk), public_at=goes_public
        )
        if not first:
            return False
        announce(resource_of(model), [obj.slug], Kind.PUBLISHED, time=goes_public)
    return True


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class PublishableQuerySet(models.QuerySet):
    def published(self, now=None):
        return self.filter(self.model.published_condition(now=now))

    def scheduled(self, now=None):
        """Rows that publish themselves later: published, with a publish time still to come.

        Only models with a `publish_time_field` have any; `is_scheduled` is
        the same rule for one object in Python.
        """
        field = self.model.publish_time_field
        if field is None:
            return self.none()
        return self.filter(
            status=Status.PUBLISHED, **{f"{field}__gt": now or timezone.now()}
        )

    def next_publish_time(self, now=None):
        """When the next row publishes itself (see `Publishable.publish_time_field`), or None."""
        field = self.model.publish_time_field
        if field is None:
            return None
        return self.scheduled(now).order_by(field).values_list(field, flat=True).first()

    def drafts(self):
        """Rows set to draft (neither published nor scheduled)."""
        return self.filter(status=Status.DRAFT)

    def to_publish(self):
        """What `publish()` changes: the rows not set to published yet."""
        return self.exclude(status=Status.PUBLISHED)

    def to_unpublish(self):
        """What `unpublish()` changes: the rows not set back to draft yet."""
        return self.exclude(status=Status.DRAFT)

    def unpublished(self):
        """Return what a public surface must not show: the complement of published()."""
        return self.exclude(pk__in=self.published().values("pk"))

    def publish(self):
        """Publish every object of the queryset; return how many changed."""

        changing = self.to_publish()
        slugs = list(changing.values_list("slug", flat=True))
        pks = list(changing.values_list("pk", flat=True))
        now = timezone.now()
        count = changing.update(status=Status.PUBLISHED, updated_at=now)
        revive(self.model, slugs)
        touch_referrers(self.model, pks)
        # The nesting objects' answers are purged record by record
        # (`touch_referrers`); every list of this model, whole; the records
        # next to those now listed in its neighbour order (drafts had none),
        # or for a scheduled one, where it will be listed at its time.
        beside = (
            neighbours.keys_beside_each(self.model, pks, later=True)
            if settings.PROXY_PURGE_URLS
            else set()
        )
        content_changed(
            self.model,
            *referrers(self.model),
            keys=neighbours.bulk_keys(self.model, pks, beside),
        )
        # A scheduled article is published but not yet public: not announced.
        live = self.model.objects.filter(pk__in=pks).published(now=now)
        announce(
            resource_of(self.model),
            list(live.values_list("slug", flat=True)),
            Kind.PUBLISHED,
            time=now,
        )
        return count

    def unpublish(self):
        """Withdraw every object of the queryset (leaving tombstones); return how many changed."""

        visible = list(self.published().values_list("slug", flat=True))
        pks = list(self.published().values_list("pk", flat=True))
        changing = list(self.to_unpublish().values_list("pk", flat=True))
        # The records next to those listed in its neighbour order, before
        # they leave it.
        beside = (
            neighbours.keys_beside_each(self.model, pks)
            if settings.PROXY_PURGE_URLS
            else set()
        )
        count = self.to_unpublish().update(
            status=Status.DRAFT, updated_at=timezone.now()
        )
        bury(self.model, visible, "unpublished")
        touch_referrers(self.model, pks)
        # Scheduled rows too: set back to draft, they leave their time.
        # The nesting objects' answers are purged record by record
        # (`touch_referrers`); every list of this model, whole.
        content_changed(
            self.model,
            *referrers(self.model),
            keys=neighbours.bulk_keys(self.model, changing, beside),
        )
        return count


class Publishable(models.Model):
    slug = models.SlugField(
        _("slug"),
        max_length=120,
        unique=True,
        help_text=_(
            "Used in web addresses and the API. Keep it stable once published."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    objects = PublishableQuerySet.as_manager()

    # The translated field that other objects' API answers show beside this
    # one's slug when they nest it (a member's name, a scenario's title).
    summary_title = "name"
    # A field with a publish time, for models whose published rows go
    # public by themselves when it comes (a scheduled article). The response
    # cache asks for the next such moment, so nothing outlives it.
    publish_time_field = None

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.normalize_line_endings()
        before = self._stored_summary(kwargs.get("update_fields"))
        super().save(*args, **kwargs)
        if before is not False:
            self._record_public_change(before)
        elif self.is_published:
            # Only fields beside the public state changed (renditions, say).
            announce(resource_of(type(self)), [self.slug], Kind.UPDATED)

    def normalize_line_endings(self):
        """Store text with "\\n" line endings, whatever the browser posted.

        Browsers post a textarea's lines with CRLF; kept as posted, saving a
        form unchanged would change the text (and make a version of nothing).
        """
        # Through __dict__: the translated fields' descriptors would read
        # and write the active language's column instead.
        values = self.__dict__
        for field in self._meta.concrete_fields:
            value = values.get(field.attname)
            if isinstance(value, str) and "\r" in value:
                values[field.attname] = value.replace("\r\n", "\n").replace("\r", "\n")

    @classmethod
    def _summary_columns(cls):
        names = cls.__dict__.get("_summary_column_names")
        if names is None:
            names = columns(cls.summary_title)
            cls._summary_column_names = names
        return names

    @classmethod
    def _public_fields(cls):
        """The fields whose values decide what the public sees of an object."""
        names = {"slug", "status", *cls._summary_columns()}
        if cls.publish_time_field:
            names.add(cls.publish_time_field)
        return names

    def _stored_summary(self, update_fields=None):
        """What objects that nest this one show of it as stored: slug, visibility, title.

        Read from the database just before a save, so that nothing needs to
        be remembered of the rows a query loads (a query with `.only()` costs
        one query, whatever it leaves out). None for an object not stored
        yet; False when the save cannot change any of it (its `update_fields`
        leave all of it out).
        """
        if self._state.adding:
            return None
        if update_fields is not None and self._public_fields().isdisjoint(
            update_fields
        ):
            return False
        model = type(self)
        return (
            model._base_manager.using(self._state.db)
            .filter(pk=self.pk)
            .annotate(
                stored_published=models.ExpressionWrapper(
                    model.published_condition(), output_field=models.BooleanField()
                )
            )
            .values_list("slug", "stored_published", *self._summary_columns())
            .first()
        )

    def _summary(self):
        """What objects that nest this one show of it: slug, visibility and title."""
        titles = (getattr(self, column) for column in self._summary_columns())
        return (self.slug, self.is_published, *titles)

    def _record_public_change(self, before):
        """Tombstone it when it stops being public, clear that when it returns, announce the change.

        `before` is its summary as stored before the save (`_stored_summary`).
        """
        old_slug, was_published = before[:2] if before else (None, False)
        after = self._summary()
        if was_published and not self.is_published:
            bury(type(self), [old_slug], "unpublished")
        elif was_published and old_slug != self.slug:
            bury(type(self), [old_slug], "deleted")
        if self.is_published and (not was_published or old_slug != self.slug):
            revive(type(self), [self.slug])
            announce(resource_of(type(self)), [self.slug], Kind.PUBLISHED)
        elif self.is_published:
            announce(resource_of(type(self)), [self.slug], Kind.UPDATED)
        elif self.is_scheduled:
            # It will go public by the clock alone; announce it then.
            goes_public = getattr(self, self.publish_time_field)
            enqueue_later(
                announce_when_public,
                goes_public,
                label=self._meta.label_lower,
                pk=self.pk,
                at=goes_public.isoformat(),
            )
        if before is not None and tuple(before) != after:
            touch_referrers(type(self), [self.pk])

    @property
    def is_published(self):
        """Whether the public sees this object now: `published_condition` in Python."""
        if self.status != Status.PUBLISHED:
            return False
        if self.publish_time_field is None:
            return True
        moment = getattr(self, self.publish_time_field)
        return moment is not None and moment <= timezone.now()

    @property
    def is_scheduled(self):
        """Whether it will publish itself later: `scheduled()` in Python."""
        if self.status != Status.PUBLISHED or self.publish_time_field is None:
            return False
        moment = getattr(self, self.publish_time_field)
        return moment is not None and moment > timezone.now()

    @classmethod
    def published_condition(cls, prefix="", now=None):
        """What `published()` asks of a row, as a condition on `prefix` + field.

        Published, and where the model has a publish time, that time has
        come: a scheduled row (an article published with a publish time in
        the future) appears by itself when its time comes; nothing has to run.

        For filtering across a relation (`Tag.published_condition("tag__")`)
        with a join rather than a subquery. `is_published` is the same rule
        for one object in Python.
        """
        condition = models.Q(**{f"{prefix}status": Status.PUBLISHED})
        if cls.publish_time_field is not None:
            condition &= models.Q(
                **{f"{prefix}{cls.publish_time_field}__lte": now or timezone.now()}
            )
        return condition


def if_published(obj):
    """`obj` when the public may see it, else None.

    For a related object that may be a draft (a scenario's field, the event
    an article reports on): pages, API answers and structured data show it
    only through this.
    """
    return obj if obj is not None and obj.is_published else None
