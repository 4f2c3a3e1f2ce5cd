"""Admin behaviour shared by every publishable model."""

from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.models import CHANGE, LogEntry
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .preview import PreviewMixin


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
        target = (
            queryset.exclude(status="published")
            if publish
            else queryset.exclude(status="draft")
        )
        changed = list(target)
        count = queryset.publish() if publish else queryset.unpublish()
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
