"""The tombstones list: what left the public site, for partners' mirrors to drop."""

import django_filters
from rest_framework import mixins, serializers, viewsets

from alliance.kernel.api.common import MomentFilter, PublicAPIMixin, UTCDateTimeField
from alliance.kernel.api.pagination import StablePagination
from alliance.kernel.models import Tombstone
from alliance.kernel.tombstones import resources


class TombstoneSerializer(serializers.ModelSerializer):
    """An item that left the public site: drop `resource`/`slug` from a mirror."""

    resource = serializers.ChoiceField(
        choices=sorted(set(resources().values())),
        help_text="The list the item was in, e.g. members.",
    )
    removed_at = UTCDateTimeField(help_text="When it left (UTC).")

    class Meta:
        model = Tombstone
        fields = ["resource", "slug", "reason", "removed_at"]
        read_only_fields = fields


class TombstoneFilter(django_filters.FilterSet):
    resource = django_filters.ChoiceFilter(
        choices=[(name, name) for name in sorted(set(resources().values()))]
    )
    since = MomentFilter(
        field_name="removed_at",
        lookup_expr="gte",
        help_text=(
            "Only removals at or after this moment: an RFC 3339 date-time with "
            "its offset, e.g. 2024-05-01T00:00:00Z."
        ),
    )

    class Meta:
        model = Tombstone
        fields = ["resource", "since"]


class TombstonePagination(StablePagination):
    ordering = ("removed_at", "id")


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
