from rest_framework import serializers

from alliance.kernel.api.common import (
    CategorySerializer,
    PublicSerializer,
    SummarySerializer,
    image_data,
)

from .models import Member, Sector


class SectorSerializer(CategorySerializer):
    list_url_name = "members:member-list"
    filter_parameter = "sector"
    api_detail_name = "sector-detail"

    class Meta:
        model = Sector
        fields = [
            "slug",
            "url",
            "html_url",
            "updated_at",
            "name",
            "description",
            "order",
            "translations",
        ]
        translated = ["name", "description"]


class LogoSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The small rendition.")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    large_url = serializers.URLField(help_text="The rendition at twice the size.")
    alt = serializers.CharField()


class TierSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    order = serializers.IntegerField()


class MemberSerializer(PublicSerializer):
    """A published member's public profile. Contact details and notes are never included."""

    api_detail_name = "member-detail"
    tier = TierSerializer(
        source="public_tier",
        allow_null=True,
        help_text="None while the member's tier is not public.",
    )
    sectors = serializers.SerializerMethodField()
    country = serializers.CharField(
        source="country.code",
        help_text="Country or region: an ISO 3166-1 alpha-2 code.",
    )
    logo = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = [
            "slug", "url", "html_url", "updated_at", "name", "short_name", "tier", "sectors",
            "country", "city", "website", "joined_on", "joined_where", "capability", "summary",
            "description", "last_verified_on", "logo", "translations",
        ]  # fmt: skip
        translated = [
            "name",
            "short_name",
            "city",
            "joined_where",
            "capability",
            "summary",
            "description",
            "logo_alt",
        ]

    def get_sectors(self, obj) -> SummarySerializer(many=True):
        return obj.nested_summaries["sectors"]

    def get_logo(self, obj) -> LogoSerializer(allow_null=True):
        """The logo rendition (never the upload itself), with its alternative text."""
        data = image_data(self.context["request"], obj.logo_large, None, None)
        if data is None:
            return None
        small = image_data(
            self.context["request"],
            obj.logo_small,
            obj.logo_small_width,
            obj.logo_small_height,
        )
        return {**small, "large_url": data["url"], "alt": obj.logo_alt or obj.name}
