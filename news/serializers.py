from rest_framework import serializers

from alliance.kernel.api.common import (
    CategorySerializer,
    ImageSerializer,
    PublicSerializer,
    SummarySerializer,
    TitledSummarySerializer,
    UTCDateTimeField,
    image_data,
    summary,
)
from alliance.kernel.rich_text import render_rich_text

from .models import Article, Tag


class TagSerializer(CategorySerializer):
    list_url_name = "news:article-list"
    filter_parameter = "tag"
    api_detail_name = "tag-detail"

    class Meta:
        model = Tag
        fields = ["slug", "url", "html_url", "updated_at", "name", "translations"]
        translated = ["name"]


class SourceSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.URLField(allow_blank=True)
    published_on = serializers.DateField(allow_null=True)


class ArticleSerializer(PublicSerializer):
    """A published article. `updated_at` is the later of its last edit and its publish time,
    so a scheduled article shows up in `updated_since` syncs when it goes live."""

    api_detail_name = "article-detail"
    updated_at = UTCDateTimeField(
        source="changed_at",
        help_text="Last change or publication, whichever is later (UTC).",
    )
    published_at = UTCDateTimeField()
    body_html = serializers.SerializerMethodField(
        help_text="The body as sanitized HTML."
    )
    cover_image = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()
    scenarios = serializers.SerializerMethodField()
    event = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "slug", "url", "html_url", "updated_at", "published_at", "title", "summary", "body",
            "body_html", "byline", "featured", "cover_image", "source", "tags", "members",
            "scenarios", "event", "translations",
        ]  # fmt: skip
        translated = ["title", "summary", "body", "byline", "cover_alt", "source_name"]
        rich_text = ["body"]

    def get_body_html(self, obj) -> str:
        return render_rich_text(obj.body)

    def get_cover_image(self, obj) -> ImageSerializer(allow_null=True):
        """The larger rendition of the cover (never the upload), with its alt text."""
        data = image_data(
            self.context["request"],
            obj.cover_large,
            obj.cover_large_width,
            obj.cover_large_height,
        )
        return {**data, "alt": obj.cover_alt} if data else None

    def get_source(self, obj) -> SourceSerializer(allow_null=True):
        if not obj.source_name:
            return None
        return {
            "name": obj.source_name,
            "url": obj.source_url,
            "published_on": obj.source_published_on,
        }

    def get_tags(self, obj) -> SummarySerializer(many=True):
        return obj.nested_summaries["tags"]

    def get_members(self, obj) -> SummarySerializer(many=True):
        return obj.nested_summaries["members"]

    def get_scenarios(self, obj) -> TitledSummarySerializer(many=True):
        return obj.nested_summaries["scenarios"]

    def get_event(self, obj) -> SummarySerializer(allow_null=True):
        event = obj.public_event
        return event and summary(event, self.context["request"], "event-detail")
