import django_filters
from django.db.models import Prefetch

from alliance.api_common import PublicViewSet, public_viewset

from .models import Member, Sector, Tier
from .serializers import MemberSerializer, SectorSerializer


class MemberFilter(django_filters.FilterSet):
    sector = django_filters.ModelChoiceFilter(
        field_name="sectors",
        to_field_name="slug",
        queryset=Sector.objects.published(),
        help_text="A sector's slug.",
    )
    tier = django_filters.ModelChoiceFilter(
        to_field_name="slug",
        queryset=Tier.objects.published(),
        help_text="A tier's slug.",
    )
    country = django_filters.CharFilter(
        method="filter_country", help_text="ISO 3166-1 alpha-2 code, e.g. CN."
    )

    class Meta:
        model = Member
        fields = ["sector", "tier", "country"]

    def filter_country(self, queryset, name, value):
        return queryset.in_country(value.upper())


@public_viewset
class MemberViewSet(PublicViewSet):
    """Published member organizations."""

    queryset = (
        Member.objects.published()
        .select_related("tier")
        .prefetch_related(Prefetch("sectors", queryset=Sector.objects.published()))
    )
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    search_fields = [
        "name_en",
        "name_zh_hans",
        "short_name_en",
        "short_name_zh_hans",
        "summary_en",
        "summary_zh_hans",
    ]
    ordering_fields = ["id", "updated_at", "name_en", "joined_on"]


@public_viewset
class SectorViewSet(PublicViewSet):
    """Published sectors of the directory."""

    queryset = Sector.objects.published()
    serializer_class = SectorSerializer
    search_fields = ["name_en", "name_zh_hans"]
    ordering_fields = ["id", "updated_at", "order"]
