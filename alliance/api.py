import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from .api_backends import parse_moment
from .api_common import (
    COMMON_PARAMETERS,
    ERROR_RESPONSES,
    BooleanFilter,
    Nested,
    PublicAPIMixin,
    PublicViewSet,
    UTCDateTimeField,
    public_viewset,
)
from .api_pagination import StablePagination
from .models import (
    Event,
    Field,
    Initiative,
    InitiativeKind,
    Participation,
    Scenario,
    ScenarioStage,
    Tombstone,
)
from .serializers import (
    EventSerializer,
    FieldSerializer,
    InitiativeSerializer,
    ScenarioSerializer,
)
from .tombstones import RESOURCES


class ScenarioFilter(django_filters.FilterSet):
    field = django_filters.ModelChoiceFilter(
        to_field_name="slug",
        queryset=Field.objects.published(),
        help_text="A field's slug.",
    )
    stage = django_filters.ChoiceFilter(choices=ScenarioStage.choices)

    class Meta:
        model = Scenario
        fields = ["field", "stage"]


@public_viewset
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


@public_viewset
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
    starts_after = django_filters.DateFilter(field_name="starts_on", lookup_expr="gte")
    starts_before = django_filters.DateFilter(field_name="starts_on", lookup_expr="lte")

    class Meta:
        model = Event
        fields = ["upcoming", "starts_after", "starts_before"]

    def filter_upcoming(self, queryset, name, value):
        today = timezone.localdate()
        return (
            queryset.filter(ends_on__gte=today)
            if value
            else queryset.filter(ends_on__lt=today)
        )


@public_viewset
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


@public_viewset
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


class TombstoneSerializer(serializers.ModelSerializer):
    removed_at = UTCDateTimeField()

    class Meta:
        model = Tombstone
        fields = ["resource", "slug", "reason", "removed_at"]


class TombstoneFilter(django_filters.FilterSet):
    resource = django_filters.ChoiceFilter(
        choices=[(name, name) for name in sorted(set(RESOURCES.values()))]
    )
    since = django_filters.CharFilter(
        method="filter_since", help_text="ISO 8601: removals at or after this moment."
    )

    class Meta:
        model = Tombstone
        fields = ["resource", "since"]

    def filter_since(self, queryset, name, value):
        try:
            moment = parse_moment(value.replace(" ", "+"))
        except (ValueError, OverflowError):
            raise serializers.ValidationError(
                {"since": [f"'{value[:40]}' is not an ISO 8601 date or date-time."]}
            ) from None
        return queryset.filter(removed_at__gte=moment)


class TombstonePagination(StablePagination):
    ordering = ("removed_at", "id")


@extend_schema_view(
    list=extend_schema(parameters=COMMON_PARAMETERS, responses={**ERROR_RESPONSES})
)
class TombstoneViewSet(PublicAPIMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """What left the public site: unpublished, deleted or renamed items, for mirrors to drop."""

    queryset = Tombstone.objects.all()
    serializer_class = TombstoneSerializer
    filterset_class = TombstoneFilter
    pagination_class = TombstonePagination
    changed_field = "removed_at"
    base_parameters = {"lang", "cursor", "page_size", "format"}
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    ordering_fields = ["removed_at"]
