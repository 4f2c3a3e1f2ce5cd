from rest_framework import serializers

from alliance.content.models import Event, Field, Initiative, Page, Scenario
from alliance.kernel.api.common import (
    LANGUAGE_CODES,
    CategorySerializer,
    ImageSerializer,
    PublicSerializer,
    SummarySerializer,
    absolute,
    image_data,
    summary,
)
from alliance.kernel.markdown import render_markdown
from alliance.kernel.money import format_money
from alliance.kernel.publishing import slug_url


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

    def get_field(self, obj) -> SummarySerializer(allow_null=True):
        """None while the scenario's field is not public."""
        field = obj.public_field
        return field and summary(field, self.context["request"], "field-detail")

    def get_announced_at(self, obj) -> SummarySerializer(allow_null=True):
        event = obj.public_announced_at
        return event and summary(event, self.context["request"], "event-detail")

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
    country = serializers.CharField(
        source="country.code",
        allow_blank=True,
        help_text="Country or region: an ISO 3166-1 alpha-2 code; empty when not given.",
    )
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


class InitiativeParticipationSerializer(serializers.Serializer):
    organization = serializers.CharField(
        help_text="The organization's name, in the requested language."
    )
    role = serializers.ChoiceField(choices=["lead", "investor", "member"])
    is_example = serializers.BooleanField(
        help_text="True when the name is a placeholder for an organization not named yet."
    )
    member = SummarySerializer(
        allow_null=True,
        help_text="The organization's member profile, when it is a published member.",
    )
    translations = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text="The organization's name in every language.",
    )


class InitiativeSerializer(PublicSerializer):
    api_detail_name = "initiative-detail"
    money = serializers.SerializerMethodField()
    launched_at = serializers.SerializerMethodField()
    participants = serializers.SerializerMethodField(
        help_text="The published members taking part (see also participations)."
    )
    participations = serializers.SerializerMethodField(
        help_text="Every organization taking part, in order, with its role."
    )

    class Meta:
        model = Initiative
        fields = [
            "slug", "url", "html_url", "updated_at", "name", "kind", "summary", "description",
            "money", "launched_on", "launched_at", "participants", "participations",
            "participants_note", "translations",
        ]  # fmt: skip
        translated = ["name", "summary", "description", "participants_note"]
        rich_text = ["description"]

    def get_money(self, obj) -> MoneySerializer(allow_null=True):
        if obj.amount is None:
            return None
        return {
            "amount": f"{obj.amount:.2f}",
            "currency": obj.currency,
            "display": format_money(obj.amount, obj.currency),
        }

    def get_launched_at(self, obj) -> SummarySerializer(allow_null=True):
        event = obj.public_launched_at
        return event and summary(event, self.context["request"], "event-detail")

    def get_participants(self, obj) -> SummarySerializer(many=True):
        return obj.nested_summaries["participants"]

    def get_participations(self, obj) -> InitiativeParticipationSerializer(many=True):
        """Each organization under its own name; its member linked only when published."""
        request = self.context["request"]
        return [
            {
                "organization": participation.organization,
                "role": participation.role,
                "is_example": participation.is_example,
                "member": summary(participation.public_member, request, "member-detail")
                if participation.public_member
                else None,
                "translations": {
                    code: {
                        "organization": getattr(
                            participation, f"organization_{code.replace('-', '_')}"
                        )
                        or ""
                    }
                    for code in LANGUAGE_CODES
                },
            }
            for participation in obj.public_participations
        ]


class PageSerializer(PublicSerializer):
    """A site page (about, charter, how to join, contact)."""

    api_detail_name = "page-detail"
    body_html = serializers.SerializerMethodField(
        help_text="The body as sanitized HTML."
    )

    class Meta:
        model = Page
        fields = [
            "slug", "url", "html_url", "updated_at", "title", "summary", "body", "body_html",
            "order", "translations",
        ]  # fmt: skip
        translated = ["title", "summary", "body"]

    def get_body_html(self, obj) -> str:
        return render_markdown(obj.body)
