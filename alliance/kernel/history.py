"""Versions of the content editors write: who changed what and when, field by field.

Built on django-simple-history: each tracked model gets a history table of its
own (a row per version, with every tracked column, so a version can be diffed
and restored without unpacking anything) and the admin its history and revert
views. What this module adds:

- registration after django-modeltranslation has added the per-language
  columns (`title_en`, `title_zh_hans`...), so they are versioned; the
  untranslated column is left out, it only mirrors one of them;
- derived columns (renditions, sizes, `updated_at`) are left out: they follow
  from the versioned ones and would make every save look like a change;
- no version without a change: a save that changes nothing tracked (the same
  text posted again, a second save inside `Article.save`) records nothing;
- one version per admin save, with its many-to-many relations (see
  `alliance.kernel.admin.HistoryMixin`), not one per relation changed.
"""

import datetime

from django.db.models.fields.files import FieldFile
from modeltranslation.translator import NotRegistered, translator
from simple_history import register
from simple_history.models import HistoricalRecords

# Never versioned: what the database or the site sets, not an editor.
UNTRACKED = ("updated_at",)


class ContentHistory(HistoricalRecords):
    """Historical records that skip saves that change nothing."""

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            # simple-history keeps this object only in its signal receivers;
            # the admin asks it for a version after a save that waited.
            sender._content_history = self

    def create_historical_record(self, instance, history_type, using=None):
        if history_type == "~" and not self.has_changed(instance):
            return
        super().create_historical_record(instance, history_type, using=using)

    def has_changed(self, instance):
        """Whether the instance differs from its latest version (or has none)."""
        latest = getattr(instance, self.manager_name).order_by("-history_id").first()
        if latest is None:
            return True
        for field in self.fields_included(instance):
            if _comparable(getattr(latest, field.attname)) != _comparable(
                getattr(instance, field.attname)
            ):
                return True
        return any(
            _through_rows(getattr(latest, field.name).all(), field)
            != _through_rows(
                field.remote_field.through.objects.filter(
                    **{field.m2m_column_name(): instance.pk}
                ),
                field,
            )
            for field in self.get_m2m_fields_from_model(type(instance))
        )

    def record(self, instance, *, created=False, user=None):
        """Record a version now, as a save would have (if anything changed)."""
        if user is not None:
            instance._history_user = user
        self.create_historical_record(instance, "+" if created else "~")


def _comparable(value):
    """A value as an editor sees it, to tell a real change from a form's round trip."""
    if isinstance(value, FieldFile):
        # A FieldFile on the instance, its name in a version.
        return value.name
    if value is None:
        # An empty translation is NULL until a form saves it as "".
        return ""
    if isinstance(value, datetime.datetime):
        # The admin's time fields have whole seconds.
        return value.replace(microsecond=0)
    return value


def real_changes(delta):
    """The changes of a `diff_against` delta that an editor would call changes."""
    return [
        change
        for change in delta.changes
        if not isinstance(change.old, list)
        and _comparable(change.old) != _comparable(change.new)
        or isinstance(change.old, list)
        and change.old != change.new
    ]


def _through_rows(queryset, field):
    """The rows of a relation's through table, as comparable tuples."""
    through = field.remote_field.through._meta
    names = sorted(
        f.attname
        for f in through.concrete_fields
        if not f.primary_key and f.attname != field.m2m_column_name()
    )
    # Sorted by their text: a through table of our own (an initiative's
    # participations) has nullable columns, and None does not order with ints.
    return sorted(queryset.values_list(*names), key=repr)


def track(model, *, m2m_fields=()):
    """Version `model`: call from its app's `ready()`, after modeltranslation's."""
    try:
        untranslated = tuple(translator.get_options_for_model(model).fields)
    except NotRegistered:
        untranslated = ()
    register(
        model,
        records_class=ContentHistory,
        excluded_fields=[
            *untranslated,
            *UNTRACKED,
            *(
                f.name
                for f in model._meta.concrete_fields
                if not f.editable and not f.primary_key
            ),
        ],
        m2m_fields=list(m2m_fields),
    )


def history_of(model):
    """The `ContentHistory` that versions `model`, or None."""
    return getattr(model, "_content_history", None)
