import django_filters
from django import forms
from django_countries import countries
from drf_spectacular.utils import extend_schema_field

from alliance.kernel.api.common import Nested, PublicViewSet, SlugFilter

from .models import Member, Sector, Tier
from .serializers import MemberSerializer, SectorSerializer


class CountryField(forms.CharField):
    """An ISO 3166-1 alpha-2 code in any case, as on the directory page."""

    def to_python(self, value):
        code = super().to_python(value).upper()
        # ASCII letters only, as the schema says: "ın".upper() is "IN".
        if code and (not value.isascii() or code not in countries):
            # The code goes in through params: django-filter %-formats the
            # message, so the client's text must not be part of it.
            raise forms.ValidationError(
                "Unknown country or region code '%(code)s': use a two-letter ISO code.",
                params={"code": code[:10]},
            )
        return code


@extend_schema_field({"type": "string", "pattern": "^[A-Za-z]{2}$"})
class CountryFilter(django_filters.CharFilter):
    field_class = CountryField


class MemberFilter(django_filters.FilterSet):
    sector = SlugFilter(
        field_name="sectors",
        queryset=Sector.objects.published(),
        help_text="A sector's slug.",
    )
    tier = SlugFilter(
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


class SectorViewSet(PublicViewSet):
    """Published sectors of the directory."""

    queryset = Sector.objects.published()
    serializer_class = SectorSerializer
    search_fields = ["name_en", "name_zh_hans"]
    ordering_fields = ["id", "updated_at", "order"]
