from django.contrib import admin
from modeltranslation.admin import TabbedTranslationAdmin, TranslationTabularInline

from alliance.content.models import (
    Event,
    Field,
    Initiative,
    Page,
    Participation,
    Scenario,
    ScenarioParticipation,
)
from alliance.kernel.admin import HistoryMixin, PublishActionsMixin, RichTextMixin


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
