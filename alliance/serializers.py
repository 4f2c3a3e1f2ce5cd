from rest_framework import serializers

from .api_common import (
    CategorySerializer,
    ImageSerializer,
    PublicSerializer,
    SummarySerializer,
    absolute,
    image_data,
    summary,
)
from .models import Event, Field, Initiative, Scenario
from .publishing import slug_url


class FieldSerializer(CategorySerializer):
    list_url_name = "alliance:scenario-list"
    filter_parameter = "field"
    api_detail_name = "field-detail"

    class Meta:
        model = Field
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


class ParticipantSerializer(serializers.Serializer):
    member = SummarySerializer()
    role = serializers.ChoiceField(
        choices=["lead", "technology_provider", "user_agency"]
    )


class ScenarioSerializer(PublicSerializer):
    api_detail_name = "scenario-detail"
    field = serializers.SerializerMethodField()
    stage = serializers.CharField()
    space_data = serializers.ListField(child=serializers.CharField())
    announced_at = serializers.SerializerMethodField()
    participants = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()

    class Meta:
        model = Scenario
        fields = [
            "slug", "url", "html_url", "updated_at", "title", "field", "summary", "description",
            "stage", "region", "space_data", "is_example", "announced_at", "participants", "image",
            "translations",
        ]  # fmt: skip
        translated = ["title", "summary", "description", "region", "image_alt"]
        rich_text = ["description"]

    def get_field(self, obj) -> SummarySerializer:
        return summary(obj.field, self.context["request"], "field-detail")

    def get_announced_at(self, obj) -> SummarySerializer(allow_null=True):
        event = obj.announced_at
        return (
            summary(event, self.context["request"], "event-detail")
            if event and event.is_published
            else None
        )

    def get_participants(self, obj) -> ParticipantSerializer(many=True):
        return obj.nested_summaries["members"]

    def get_image(self, obj) -> ImageSerializer(allow_null=True):
        """The larger rendition of the image (never the upload), with its alt text."""
        data = image_data(
            self.context["request"],
            obj.image_large,
            obj.image_large_width,
            obj.image_large_height,
        )
        return {**data, "alt": obj.image_alt} if data else None


class EventSerializer(PublicSerializer):
    api_detail_name = "event-detail"
    country = serializers.CharField(source="country.code", allow_blank=True)
    ical_url = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "slug", "url", "html_url", "updated_at", "name", "summary", "description", "starts_on",
            "ends_on", "city", "venue", "country", "website", "attendance", "ical_url", "members",
            "translations",
        ]  # fmt: skip
        translated = ["name", "summary", "description", "city", "venue"]
        rich_text = ["description"]

    def get_ical_url(self, obj) -> str:
        return absolute(
            self.context["request"], slug_url("alliance:event-ical", obj.slug)
        )

    def get_members(self, obj) -> SummarySerializer(many=True):
        return obj.nested_summaries["members"]


class MoneySerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=20, decimal_places=2, coerce_to_string=True
    )
    currency = serializers.CharField(help_text="ISO 4217 code.")
    display = serializers.CharField(
        help_text="The amount as written in the requested language."
    )


class InitiativeSerializer(PublicSerializer):
    api_detail_name = "initiative-detail"
    money = serializers.SerializerMethodField()
    launched_at = serializers.SerializerMethodField()
    participants = serializers.SerializerMethodField()

    class Meta:
        model = Initiative
        fields = [
            "slug", "url", "html_url", "updated_at", "name", "kind", "summary", "description",
            "money", "launched_on", "launched_at", "participants", "participants_note", "translations",
        ]  # fmt: skip
        translated = ["name", "summary", "description", "participants_note"]
        rich_text = ["description"]

    def get_money(self, obj) -> MoneySerializer(allow_null=True):
        from .money import format_money

        if obj.amount is None:
            return None
        return {
            "amount": f"{obj.amount:.2f}",
            "currency": obj.currency,
            "display": format_money(obj.amount, obj.currency),
        }

    def get_launched_at(self, obj) -> SummarySerializer(allow_null=True):
        event = obj.launched_at
        return (
            summary(event, self.context["request"], "event-detail")
            if event and event.is_published
            else None
        )

    def get_participants(self, obj) -> SummarySerializer(many=True):
        return obj.nested_summaries["participants"]
