from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult
from modeltranslation.admin import TabbedTranslationAdmin, TranslationTabularInline
from rest_framework_api_key.admin import APIKeyModelAdmin

from .admin_mixins import HistoryMixin, PublishActionsMixin, RichTextMixin
from .tasks import TaskResultStatus, retry_failed
from .models import (
    Event,
    Field,
    Initiative,
    Page,
    Participation,
    PartnerKey,
    Scenario,
    ScenarioParticipation,
    Tombstone,
)


@admin.register(Field)
class FieldAdmin(PublishActionsMixin, TabbedTranslationAdmin):
    list_display = ["name", "slug", "order", "status", "updated_at"]
    list_editable = ["order"]
    list_filter = ["status"]
    search_fields = ["name_en", "name_zh_hans", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


class ScenarioParticipationInline(admin.TabularInline):
    model = ScenarioParticipation
    autocomplete_fields = ["member"]
    extra = 1


@admin.register(Scenario)
class ScenarioAdmin(
    PublishActionsMixin, RichTextMixin, HistoryMixin, TabbedTranslationAdmin
):
    rich_text_fields = ["description"]
    list_display = ["title", "field", "stage", "is_example", "status", "updated_at"]
    list_filter = ["status", "field", "stage", "is_example"]
    search_fields = [
        "title_en",
        "title_zh_hans",
        "summary_en",
        "summary_zh_hans",
        "slug",
    ]
    prepopulated_fields = {"slug": ["title_en"]}
    autocomplete_fields = ["field", "announced_at"]
    list_select_related = ["field"]
    inlines = [ScenarioParticipationInline]


@admin.register(Event)
class EventAdmin(
    PublishActionsMixin, RichTextMixin, HistoryMixin, TabbedTranslationAdmin
):
    rich_text_fields = ["description"]
    list_display = ["name", "starts_on", "ends_on", "city", "status", "updated_at"]
    list_filter = ["status", ("starts_on", admin.DateFieldListFilter)]
    search_fields = ["name_en", "name_zh_hans", "city_en", "city_zh_hans", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    autocomplete_fields = ["members"]
    date_hierarchy = "starts_on"


class ParticipationInline(TranslationTabularInline):
    """The organizations taking part, each with its role; linked to its member record when it has one."""

    model = Participation
    fields = ["order", "organization", "role", "member", "is_example"]
    autocomplete_fields = ["member"]
    extra = 1


@admin.register(Initiative)
class InitiativeAdmin(
    PublishActionsMixin, RichTextMixin, HistoryMixin, TabbedTranslationAdmin
):
    rich_text_fields = ["description"]
    list_display = [
        "name",
        "kind",
        "amount",
        "currency",
        "launched_on",
        "status",
        "updated_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["name_en", "name_zh_hans", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    autocomplete_fields = ["launched_at"]
    inlines = [ParticipationInline]


@admin.register(Page)
class PageAdmin(
    PublishActionsMixin, RichTextMixin, HistoryMixin, TabbedTranslationAdmin
):
    rich_text_fields = ["body"]
    list_display = ["title", "slug", "order", "show_in_footer", "status", "updated_at"]
    list_filter = ["status", "show_in_footer"]
    search_fields = ["title_en", "title_zh_hans", "slug"]
    prepopulated_fields = {"slug": ["title_en"]}


@admin.register(PartnerKey)
class PartnerKeyAdmin(APIKeyModelAdmin):
    """Issue and revoke partners' API keys. The key is shown once, on creation."""

    list_display = [*APIKeyModelAdmin.list_display, "partner", "last_used_at"]
    search_fields = [*APIKeyModelAdmin.search_fields, "partner"]
    readonly_fields = [*APIKeyModelAdmin.readonly_fields, "last_used_at"]


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
