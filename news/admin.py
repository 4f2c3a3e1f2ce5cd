from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin

from alliance.kernel.admin import HistoryMixin, PublishActionsMixin, RichTextMixin

from .models import Article, Tag


@admin.register(Tag)
class TagAdmin(PublishActionsMixin, TabbedTranslationAdmin):
    previewable = False  # a topic's page is the news list, which has no preview
    list_display = ["name", "slug", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name_en", "name_zh_hans", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


class VisibilityFilter(admin.SimpleListFilter):
    """Live, scheduled or draft: what a reader sees right now."""

    title = _("visibility")
    parameter_name = "visibility"

    def lookups(self, request, model_admin):
        return [
            ("live", _("Live")),
            ("scheduled", _("Scheduled")),
            ("draft", _("Draft")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.published()
        if self.value() == "scheduled":
            return queryset.scheduled()
        if self.value() == "draft":
            return queryset.drafts()
        return queryset


@admin.register(Article)
class ArticleAdmin(
    PublishActionsMixin, RichTextMixin, HistoryMixin, TabbedTranslationAdmin
):
    rich_text_fields = ["body"]
    list_display = [
        "title",
        "visibility",
        "published_at",
        "featured",
        "tag_list",
        "updated_at",
    ]
    list_filter = [
        VisibilityFilter,
        "status",
        "featured",
        "tags",
        ("published_at", admin.DateFieldListFilter),
    ]
    search_fields = [
        "title_en",
        "title_zh_hans",
        "summary_en",
        "summary_zh_hans",
        "slug",
    ]
    prepopulated_fields = {"slug": ["title_en"]}
    autocomplete_fields = ["tags", "members", "scenarios", "event"]
    date_hierarchy = "published_at"
    list_select_related = True
    readonly_fields = ["preview_link", "cover_preview", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body"]}),
        (
            _("Publication"),
            {"fields": ["status", "published_at", "featured", "preview_link"]},
        ),
        (
            _("Cover image"),
            {"fields": ["cover_image", "cover_preview", "cover_alt"]},
        ),
        (
            _("Attribution"),
            {"fields": ["byline", "source_name", "source_url", "source_published_on"]},
        ),
        (_("Relations"), {"fields": ["tags", "members", "scenarios", "event"]}),
        (
            _("Record"),
            {"fields": ["created_at", "updated_at"], "classes": ["collapse"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    @admin.display(description=_("visibility"))
    def visibility(self, obj):
        if obj.is_published:
            return _("Live")
        if obj.is_scheduled:
            return _("Scheduled")
        return _("Draft")

    @admin.display(description=_("tags"))
    def tag_list(self, obj):
        return ", ".join(tag.name for tag in obj.tags.all())

    @admin.display(description=_("preview"))
    def preview_link(self, obj):
        if not obj.pk:
            return "-"
        label = _("View on site") if obj.is_published else _("Preview as it will look")
        return format_html(
            '<a href="{}?preview" target="_blank" rel="noopener">{}</a>',
            obj.get_absolute_url(),
            label,
        )

    @admin.display(description=_("as shown on the site"))
    def cover_preview(self, obj):
        # The rendition pages use, at half its width: what readers will see.
        if not obj.cover_small:
            return "-"
        width, height = obj.cover_small_width or 480, obj.cover_small_height or 270
        return format_html(
            '<img src="{}" alt="" width="{}" height="{}"> <p>{} × {} px</p>',
            obj.cover_small.url,
            width // 2,
            height // 2,
            width,
            height,
        )
