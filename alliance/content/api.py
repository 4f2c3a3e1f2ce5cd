import django_filters

from alliance.content.models import (
    Event,
    Field,
    Initiative,
    InitiativeKind,
    Page,
    Participation,
    Scenario,
    ScenarioStage,
)
from alliance.content.serializers import (
    EventSerializer,
    FieldSerializer,
    InitiativeSerializer,
    PageSerializer,
    ScenarioSerializer,
)
from alliance.kernel.api.common import (
    BooleanFilter,
    DateFilter,
    Nested,
    PublicViewSet,
    SlugFilter,
)


class ScenarioFilter(django_filters.FilterSet):
    field = SlugFilter(
        queryset=Field.objects.published(),
        help_text="A field's slug.",
    )
    stage = django_filters.ChoiceFilter(choices=ScenarioStage.choices)

    class Meta:
        model = Scenario
        fields = ["field", "stage"]


class ScenarioViewSet(PublicViewSet):
    """Published application scenarios, with their members and roles."""

    queryset = Scenario.objects.published().select_related("field", "announced_at")
    nested = (
        Nested(
            "members",
            "member-detail",
            order=("role", "member__name"),
            extra=("role",),
            wrap="member",
        ),
    )
    serializer_class = ScenarioSerializer
    filterset_class = ScenarioFilter
    search_fields = ["title_en", "title_zh_hans", "summary_en", "summary_zh_hans"]


class FieldViewSet(PublicViewSet):
    """Published application fields."""

    queryset = Field.objects.published()
    serializer_class = FieldSerializer
    search_fields = ["name_en", "name_zh_hans"]
    ordering_fields = ["id", "updated_at", "order"]


class EventFilter(django_filters.FilterSet):
    upcoming = BooleanFilter(
        method="filter_upcoming", help_text="true: not yet over; false: over."
    )
    starts_after = DateFilter(
        field_name="starts_on",
        lookup_expr="gte",
        help_text="Events starting on or after this day (YYYY-MM-DD).",
    )
    starts_before = DateFilter(
        field_name="starts_on",
        lookup_expr="lte",
        help_text="Events starting on or before this day (YYYY-MM-DD).",
    )

    class Meta:
        model = Event
        fields = ["upcoming", "starts_after", "starts_before"]

    def filter_upcoming(self, queryset, name, value):
        # The list's order (`ordering`) replaces the one these set.
        return queryset.upcoming() if value else queryset.past()


class EventViewSet(PublicViewSet):
    """Published events."""

    queryset = Event.objects.published()
    nested = (Nested("members", "member-detail", order=("member__name",)),)
    serializer_class = EventSerializer
    filterset_class = EventFilter
    search_fields = ["name_en", "name_zh_hans", "city_en", "city_zh_hans"]
    ordering_fields = ["id", "updated_at", "starts_on"]


class InitiativeFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=InitiativeKind.choices)

    class Meta:
        model = Initiative
        fields = ["kind"]


class InitiativeViewSet(PublicViewSet):
    """Published initiatives (the alliance, communities, funds, programmes)."""

    queryset = Initiative.objects.published().select_related("launched_at")
    nested = (Nested("participants", "member-detail", order=("member__name",)),)
    serializer_class = InitiativeSerializer
    filterset_class = InitiativeFilter
    search_fields = ["name_en", "name_zh_hans"]

    def attach_related(self, items):
        """Also give each item `public_participations`: its organizations, in one query."""
        super().attach_related(items)
        by_pk = {item.pk: item for item in items}
        for item in items:
            item.public_participations = []
        participations = Participation.objects.public().filter(initiative__in=by_pk)
        for participation in participations:
            by_pk[participation.initiative_id].public_participations.append(
                participation
            )


class PageViewSet(PublicViewSet):
    """Published site pages: about, charter, how to join, contact."""

    queryset = Page.objects.published()
    serializer_class = PageSerializer
    search_fields = ["title_en", "title_zh_hans", "summary_en", "summary_zh_hans"]
    ordering_fields = ["id", "updated_at", "order"]
