"""Admin behaviour shared by every publishable model."""

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class PublishActionsMixin:
    """Bulk publish and unpublish, each change recorded in the object's history."""

    actions = ["publish_selected", "unpublish_selected"]

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
