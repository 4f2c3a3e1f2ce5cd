"""The kernel's admin: behaviour every app's admin shares, and the kernel's own records."""

import dataclasses
import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.models import CHANGE, LogEntry
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult
from js_asset import Media
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import is_historic, to_historic

from alliance.kernel.history import history_of, real_changes
from alliance.kernel.models import PartnerKey, Tombstone
from alliance.kernel.preview import PreviewMixin
from alliance.kernel.rich_text import RichTextField, RichTextWidget
from alliance.kernel.tasks import TaskResultStatus, retry_failed


class PublishActionsMixin:
    """Bulk publish and unpublish, each change recorded in the object's history.

    "View on site" of an object that is not public yet opens its staff
    preview instead of a 404; `previewable = False` hides the link for
    models whose page has no preview (a tag's page is a filtered list).
    """

    actions = ["publish_selected", "unpublish_selected"]
    previewable = True

    def get_view_on_site_url(self, obj=None):
        if obj is None or not hasattr(obj, "get_absolute_url") or obj.is_published:
            return super().get_view_on_site_url(obj)
        if not self.previewable or not self.view_on_site:
            return None
        return f"{obj.get_absolute_url()}?{PreviewMixin.preview_parameter}"

    @admin.action(description=_("Publish selected items"), permissions=["change"])
    def publish_selected(self, request, queryset):
        self._change_status(request, queryset, publish=True)

    @admin.action(description=_("Unpublish selected items"), permissions=["change"])
    def unpublish_selected(self, request, queryset):
        self._change_status(request, queryset, publish=False)

    def _change_status(self, request, queryset, *, publish):
        changed = list(queryset.to_publish() if publish else queryset.to_unpublish())
        count = queryset.publish() if publish else queryset.unpublish()
        # A bulk update sends no signals: record the versions here.
        records = history_of(queryset.model)
        if records and changed:
            for obj in queryset.model.objects.filter(pk__in=[o.pk for o in changed]):
                records.record(obj, user=request.user)
        message = _("Published.") if publish else _("Unpublished.")
        if changed:
            LogEntry.objects.log_actions(
                user_id=request.user.pk,
                queryset=changed,
                action_flag=CHANGE,
                change_message=str(message),
            )
        text = (
            ngettext("%(count)d item published.", "%(count)d items published.", count)
            if publish
            else ngettext(
                "%(count)d item unpublished.", "%(count)d items unpublished.", count
            )
        )
        self.message_user(request, text % {"count": count}, messages.SUCCESS)


class PrivateFieldsMixin:
    """Fields only the users who may change a model see: not shown, filtered, searched or sorted by.

    `private_fields` names them. A user who may only view the model (an
    editor looking up a member to link to it) gets neither the fields nor
    any way to learn their values through the list: a filter on one in the
    address is refused with a 400 that says so, instead of answering with a
    count of matches.
    """

    private_fields = ()

    def may_see_private_fields(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def _hide_private(self, request, names, obj=None):
        if self.may_see_private_fields(request, obj):
            return names
        return [
            name
            for name in names
            if not (
                isinstance(name, str)
                and name.lstrip("^=@").split("__")[0] in self.private_fields
            )
        ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.may_see_private_fields(request, obj) or (
            obj is None and self.has_add_permission(request)
        ):
            return fieldsets
        visible = []
        for name, options in fieldsets:
            fields = self._hide_private(request, list(options["fields"]), obj)
            if fields:
                visible.append((name, {**options, "fields": fields}))
        return visible

    def get_list_display(self, request):
        return self._hide_private(request, list(super().get_list_display(request)))

    def get_list_filter(self, request):
        return self._hide_private(request, list(super().get_list_filter(request)))

    def get_search_fields(self, request):
        return self._hide_private(request, list(super().get_search_fields(request)))

    def get_sortable_by(self, request):
        return self._hide_private(request, list(super().get_sortable_by(request)))

    def lookup_allowed(self, lookup, value, request):
        field = lookup.split("__")[0]
        if field in self.private_fields and not self.may_see_private_fields(request):
            label = self.model._meta.get_field(field).verbose_name
            # A SuspiciousOperation: the admin answers 400 with this message.
            raise DisallowedModelAdminLookup(
                _("You may not filter %(things)s by “%(field)s”: it is private.")
                % {"things": self.model._meta.verbose_name_plural, "field": label}
            )
        return super().lookup_allowed(lookup, value, request)


class HistoryMixin(SimpleHistoryAdmin):
    """Versions of what the admin saves, and their history with before and after.

    django-simple-history's admin gives the history list (who, when, each
    changed field's before and after) and "revert", which opens a version in
    the change form to be saved again. Here a save makes one version, with
    its many-to-many relations and inlines, instead of one for the object
    and one more per relation changed: the version is taken when the admin
    logs the change, after everything was saved. Reverting restores the
    version's relations too.
    """

    object_history_list_template = "admin/history/object_history_list.html"

    def save_model(self, request, obj, form, change):
        obj.skip_history_when_saving = True
        keep_unchanged_times(form, obj)
        super().save_model(request, obj, form, change)
        if is_historic(obj):
            self._restore_relations(to_historic(obj), obj)

    @staticmethod
    def _restore_relations(version, obj):
        """Put back a reverted version's rows of relations with a model of their own.

        The form restores plain many-to-many links (see `get_form`); rows of a
        through model of our own carry more (a member's role in a scenario),
        which the revert form does not show: they come back as the version has them.
        """
        for field in version._history_m2m_fields:
            through = field.remote_field.through
            if through._meta.auto_created:
                continue
            own = field.m2m_column_name()
            names = [
                f.attname
                for f in through._meta.concrete_fields
                if not f.primary_key and f.attname != own
            ]
            rows = list(getattr(version, field.name).values_list(*names))
            through.objects.filter(**{own: obj.pk}).delete()
            through.objects.bulk_create(
                through(**{own: obj.pk, **dict(zip(names, row, strict=True))})
                for row in rows
            )

    def log_addition(self, request, obj, message):
        self._record_version(request, obj, created=True)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._record_version(request, obj, created=False)
        return super().log_change(request, obj, message)

    def _record_version(self, request, obj, *, created):
        if hasattr(obj, "skip_history_when_saving"):
            del obj.skip_history_when_saving
        records = history_of(type(obj))
        if records:
            records.record(obj, created=created, user=request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None or not is_historic(obj):
            return form
        # The revert form starts from the version's relations, not today's.
        version = to_historic(obj)
        initial = {
            field.name: [
                getattr(row, field.m2m_reverse_name())
                for row in getattr(version, field.name).all()
            ]
            for field in version._history_m2m_fields
            if field.name in form.base_fields
            and field.remote_field.through._meta.auto_created
        }

        class VersionForm(form):
            def __init__(self, *args, **kwargs):
                kwargs["initial"] = {**initial, **(kwargs.get("initial") or {})}
                super().__init__(*args, **kwargs)

        return VersionForm

    def set_history_delta_changes(self, request, historical_records, **kwargs):
        # Each version lists the fields it changed, without a form's round
        # trips (microseconds of a time, an empty translation saved as "").
        records = list(historical_records)
        hidden = set(self.get_history_hidden_fields(request))
        for newer, older in zip(records, records[1:], strict=False):
            delta = newer.diff_against(
                older, excluded_fields=hidden, foreign_keys_are_objs=True
            )
            changes = real_changes(delta)
            delta = dataclasses.replace(
                delta, changes=changes, changed_fields=[c.field for c in changes]
            )
            helper = self.get_historical_record_context_helper(request, newer)
            newer.history_delta_changes = helper.context_for_delta_changes(delta)

    def get_history_hidden_fields(self, request):
        """Fields whose changes this user may not see in the history (none by default)."""
        return ()

    def render_history_view(self, request, template, context, **kwargs):
        _with_nonce(request, context)
        return super().render_history_view(request, template, context, **kwargs)

    def render_change_form(self, request, context, *args, **kwargs):
        _with_nonce(request, context)
        return super().render_change_form(request, context, *args, **kwargs)


def keep_unchanged_times(form, obj):
    """Give back the microseconds of the times the form showed and got back unchanged.

    The admin's widgets show a time to the second, so a record saved with
    its publish time untouched would lose the fraction of a second it was
    written with (by the publish action, an import, the API): a change of
    value, a new place among records published in the same second, and
    the purges of a move. A time the editor did change is saved as given.
    """
    for name, field in form.fields.items():
        times = (forms.DateTimeField, forms.SplitDateTimeField)
        if not isinstance(field, times) or name in form.changed_data:
            continue
        initial = form.initial.get(name)
        current = getattr(obj, name, None)
        if (
            isinstance(initial, datetime.datetime)
            and isinstance(current, datetime.datetime)
            and initial.replace(microsecond=0) == current.replace(microsecond=0)
        ):
            setattr(obj, name, initial)


def _with_nonce(request, context):
    """Give the page's scripts the request's CSP nonce (the editor's import map is inline)."""
    media = context.get("media")
    if media is not None and hasattr(request, "csp_nonce"):
        context["media"] = Media.from_media(media, nonce=request.csp_nonce)


class RichTextMixin:
    """Bodies and descriptions written in the rich-text editor (alliance/kernel/rich_text.py).

    `rich_text_fields` names the model fields, each language's column gets
    the editor.
    """

    rich_text_fields = ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        name = getattr(db_field, "translated_field", db_field).name
        if field is None or name not in self.rich_text_fields:
            return field
        return RichTextField(
            required=field.required,
            label=field.label,
            help_text=_(
                "Use the toolbar for headings, lists, links, quotes and images. "
                "An image needs a text alternative."
            ),
            widget=RichTextWidget(attrs=field.widget.attrs),
        )


@admin.register(PartnerKey)
class PartnerKeyAdmin(APIKeyModelAdmin):
    """Issue and revoke partners' API keys. The key is shown once, on creation."""

    list_display = [
        "prefix", "name", "partner", "created", "expiry_date", "has_expired",
        "revoked", "last_used_at",
    ]  # fmt: skip
    search_fields = [*APIKeyModelAdmin.search_fields, "partner"]
    readonly_fields = [*APIKeyModelAdmin.readonly_fields, "last_used_at"]

    @admin.display(description=_("expired"), boolean=True)
    def has_expired(self, key):
        return key.has_expired

    def save_model(self, request, obj, form=None, change=False):
        if obj.pk:
            obj.save()
            return
        key = self.model.objects.assign_key(obj)
        obj.save()
        messages.warning(
            request,
            _(
                "The API key for %(name)s is %(key)s. Give it to the partner now "
                "and keep no copy: it cannot be shown again."
            )
            % {"name": obj.name, "key": key},
        )


# The library's own key model is not used: partners' keys are `PartnerKey`.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)


@admin.register(Tombstone)
class TombstoneAdmin(admin.ModelAdmin):
    """What partners' mirrors are told to drop. Written by the site itself."""

    list_display = ["resource", "slug", "reason", "removed_at"]
    list_filter = ["resource", "reason"]
    search_fields = ["slug"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# django-tasks-db lists the tasks read-only; the site's list adds the error at
# a glance and "Run again" for the failed ones.
admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    """Background tasks: what waits, what ran, and what failed with which error."""

    list_display = [*DBTaskResultAdmin.list_display, "error"]
    actions = ["run_again"]

    @admin.display(description=_("error"))
    def error(self, obj):
        if obj.status != TaskResultStatus.FAILED:
            return ""
        # The traceback's last line names the exception and its message.
        return (obj.traceback.strip().splitlines() or [obj.exception_class_path])[-1]

    @admin.action(
        description=_("Run the selected failed tasks again"),
        permissions=["change"],
    )
    def run_again(self, request, queryset):
        count = retry_failed(queryset)
        skipped = queryset.count() - count
        self.message_user(
            request,
            ngettext(
                "%(count)d task is queued again.",
                "%(count)d tasks are queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                _("Only failed tasks can be run again; the others were left alone."),
                messages.WARNING,
            )

    def has_change_permission(self, request, obj=None):
        # "Run again" needs it; every field stays read-only.
        return admin.ModelAdmin.has_change_permission(self, request, obj)
