"""What "published" means, once for every public model.

Every public model has a stable slug, creation and change times and a
publication state. Only published objects are visible anywhere public: pages,
API, feeds, sitemap, search and structured data all start from
`Model.objects.published()`.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class PublishableQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def unpublished(self):
        """Return what a public surface must not show: the complement of published()."""
        return self.exclude(pk__in=self.published().values("pk"))

    def publish(self):
        """Publish every object of the queryset; return how many changed."""
        from .tombstones import revive

        changing = self.exclude(status=Status.PUBLISHED)
        slugs = list(changing.values_list("slug", flat=True))
        count = changing.update(status=Status.PUBLISHED, updated_at=timezone.now())
        revive(self.model, slugs)
        return count

    def unpublish(self):
        """Withdraw every object of the queryset (leaving tombstones); return how many changed."""
        from .tombstones import bury

        visible = list(self.published().values_list("slug", flat=True))
        count = self.exclude(status=Status.DRAFT).update(
            status=Status.DRAFT, updated_at=timezone.now()
        )
        bury(self.model, visible, "unpublished")
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

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._record_public_change()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_public_state()
        return instance

    def _remember_public_state(self):
        # Deferred fields (e.g. `.only()`) leave the state unknown: treat as not public.
        loaded = self.get_deferred_fields().isdisjoint({"slug", "status"})
        self._was_published = loaded and self.is_published
        self._loaded_slug = self.slug if loaded else None

    def _record_public_change(self):
        """Leave a tombstone when this object stops being public; clear it when it returns."""
        from .tombstones import bury, revive

        was_published = getattr(self, "_was_published", False)
        old_slug = getattr(self, "_loaded_slug", None)
        if was_published and not self.is_published:
            bury(type(self), [old_slug or self.slug], "unpublished")
        elif was_published and old_slug and old_slug != self.slug:
            bury(type(self), [old_slug], "deleted")
        if self.is_published and (not was_published or old_slug != self.slug):
            revive(type(self), [self.slug])
        self._remember_public_state()

    @property
    def is_published(self):
        return self.status == Status.PUBLISHED
