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
        return self.exclude(status=Status.PUBLISHED).update(
            status=Status.PUBLISHED, updated_at=timezone.now()
        )

    def unpublish(self):
        """Withdraw every object of the queryset; return how many changed."""
        return self.exclude(status=Status.DRAFT).update(
            status=Status.DRAFT, updated_at=timezone.now()
        )


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

    @property
    def is_published(self):
        return self.status == Status.PUBLISHED
