import django_filters
from django import forms
from django_countries import countries

from alliance.api_common import Nested, PublicViewSet, public_viewset

from .models import Member, Sector, Tier
from .serializers import MemberSerializer, SectorSerializer


class CountryField(forms.CharField):
    """An ISO 3166-1 alpha-2 code in any case, as on the directory page."""

    def to_python(self, value):
        code = super().to_python(value).upper()
        if code and code not in countries:
            raise forms.ValidationError(
                f"Unknown country or region code '{code[:10]}': use a two-letter ISO code."
            )
        return code


class CountryFilter(django_filters.CharFilter):
    field_class = CountryField


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
    country = CountryFilter(
        method="filter_country",
        help_text="Country or region: an ISO 3166-1 alpha-2 code, e.g. CN or HK.",
    )

    class Meta:
        model = Member
        fields = ["sector", "tier", "country"]

    def filter_country(self, queryset, name, value):
        return queryset.in_country(value)


@public_viewset
class MemberViewSet(PublicViewSet):
    """Published member organizations."""

    queryset = Member.objects.published().select_related("tier")
    nested = (
        Nested("sectors", "sector-detail", order=("sector__order", "sector__slug")),
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
