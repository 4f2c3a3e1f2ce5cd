"""What every resource of the partner API shares.

One item shape (slug, url, html_url, updated_at in UTC, text in the requested
language plus all translations), one way to choose the language, strict query
parameters, `updated_since`, conditional GET headers, partner keys, throttles
and JSON errors. Resources in each app's `api.py` only say what is theirs.
"""

import datetime

from django.conf import settings
from django.db.models import Max
from django.http import JsonResponse
from django.urls import NoReverseMatch
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .models import PartnerKey

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
KEY_HEADER = "X-Api-Key"


# --- Errors -----------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer."""

    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong, in words.")
    errors = serializers.DictField(
        required=False,
        help_text="Per-parameter messages, when the request had invalid parameters.",
    )


def exception_handler(exc, context):
    """Answer every API error as JSON: {"status", "detail", "errors"?}."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    body = {"status": response.status_code}
    if isinstance(data, dict) and set(data) == {"detail"}:
        body["detail"] = str(data["detail"])
    elif isinstance(data, dict):
        body["detail"] = "Some parameters are not valid."
        body["errors"] = {
            key: [str(m) for m in (value if isinstance(value, list) else [value])]
            for key, value in data.items()
        }
    else:
        body["detail"] = " ".join(str(m) for m in data)
    response.data = body
    return response


def api_not_found(request):
    return JsonResponse(
        {"status": 404, "detail": "There is no API resource at this address."},
        status=404,
    )


ERROR_RESPONSES = {
    400: OpenApiResponse(
        ErrorSerializer, description="A query parameter is unknown or not valid."
    ),
    401: OpenApiResponse(
        ErrorSerializer, description="The API key is not valid or was revoked."
    ),
    429: OpenApiResponse(
        ErrorSerializer, description="Too many requests; see the Retry-After header."
    ),
}


# --- Item shape -------------------------------------------------------------


class UTCDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC with a Z, whatever the site's time zone."""

    def to_representation(self, value):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


class ImageSerializer(serializers.Serializer):
    url = serializers.URLField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)


def image_data(request, image, width=None, height=None):
    """An absolute image URL with its size, or None."""
    if not image:
        return None
    return {
        "url": request.build_absolute_uri(image.url),
        "width": width,
        "height": height,
    }


class PublicSerializer(serializers.ModelSerializer):
    """Base of every resource: slug, url, html_url, updated_at, translations.

    `Meta.translated` lists the text fields that exist in every language: each
    appears once in the requested language and again in `translations`.
    """

    url = serializers.SerializerMethodField(help_text="This item in the API.")
    html_url = serializers.SerializerMethodField(
        help_text="This item's page on the site, in the requested language."
    )
    updated_at = UTCDateTimeField(help_text="When the item last changed (UTC).")
    translations = serializers.SerializerMethodField(
        help_text="Every text field in every language."
    )

    api_detail_name = None  # the router's detail route, e.g. "member-detail"

    def get_url(self, obj) -> str:
        from django.urls import reverse

        return self.context["request"].build_absolute_uri(
            reverse(f"api:{self.api_detail_name}", args=[obj.slug])
        )

    def get_html_url(self, obj) -> str | None:
        try:
            return self.context["request"].build_absolute_uri(obj.get_absolute_url())
        except (AttributeError, NoReverseMatch):
            return None

    def get_translations(self, obj) -> dict:
        fields = getattr(self.Meta, "translated", [])
        return {
            code: {
                name: getattr(obj, f"{name}_{code.replace('-', '_')}") or ""
                for name in fields
            }
            for code in LANGUAGE_CODES
        }


class CategorySerializer(PublicSerializer):
    """A category (sector, field, tag) whose page is the list it filters, e.g. /members/?sector=."""

    list_url_name = None  # the filtered page, e.g. "members:member-list"
    filter_parameter = None  # its query parameter, e.g. "sector"

    def get_html_url(self, obj) -> str:
        from django.urls import reverse

        url = f"{reverse(self.list_url_name)}?{self.filter_parameter}={obj.slug}"
        return self.context["request"].build_absolute_uri(url)


def summary(obj, request, route, title="name"):
    """A nested summary of a related object: slug, its title, and its API URL."""
    from django.urls import reverse

    return {
        "slug": obj.slug,
        title: getattr(obj, title),
        "url": request.build_absolute_uri(reverse(f"api:{route}", args=[obj.slug])),
    }


class SummarySerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    url = serializers.URLField()


class TitledSummarySerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    url = serializers.URLField()


COMMON_PARAMETERS = [
    OpenApiParameter(
        "lang",
        OpenApiTypes.STR,
        enum=LANGUAGE_CODES,
        description="Language of the text fields. Without it, the Accept-Language header decides; then English.",
    ),
]
LIST_PARAMETERS = [
    OpenApiParameter(
        "updated_since",
        OpenApiTypes.DATETIME,
        description="Only items changed at or after this moment (ISO 8601; a date means its midnight, UTC).",
    ),
]


def public_viewset(cls):
    """Document the shared parameters and errors on a resource's viewset."""
    return extend_schema_view(
        list=extend_schema(
            parameters=COMMON_PARAMETERS + LIST_PARAMETERS,
            responses={**ERROR_RESPONSES},
        ),
        retrieve=extend_schema(
            parameters=COMMON_PARAMETERS,
            responses={
                404: OpenApiResponse(
                    ErrorSerializer, description="No published item has this slug."
                ),
                **ERROR_RESPONSES,
            },
        ),
    )(cls)


class PublicAPIMixin:
    """Language, strict parameters, conditional GET and cache headers of every API view."""

    changed_field = "updated_at"
    ordering = ["id"]
    ordering_fields = ["id", "updated_at"]
    base_parameters = {
        "lang",
        "cursor",
        "page_size",
        "search",
        "ordering",
        "updated_since",
        "format",
    }

    def initial(self, request, *args, **kwargs):
        self._activate_language(request)
        super().initial(request, *args, **kwargs)
        self._check_parameters(request)

    def _activate_language(self, request):
        requested = request.query_params.get("lang")
        if requested is not None:
            if requested not in LANGUAGE_CODES:
                raise exceptions.ValidationError(
                    {"lang": [f"Use one of: {', '.join(LANGUAGE_CODES)}."]}
                )
            language = requested
        else:
            language = translation.get_language_from_request(request._request)
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def _allowed_parameters(self):
        allowed = set(self.base_parameters)
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        return allowed

    def _check_parameters(self, request):
        if self.action != "list":
            allowed = {"lang", "format"}
        else:
            allowed = self._allowed_parameters()
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise exceptions.ValidationError(
                {
                    name: [
                        f"Unknown parameter. Allowed here: {', '.join(sorted(allowed))}."
                    ]
                    for name in unknown
                }
            )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if (
            request.method in ("GET", "HEAD")
            and response.status_code == status.HTTP_200_OK
        ):
            self._set_cache_headers(request, response)
        patch_vary_headers(response, ["Accept-Language", KEY_HEADER])
        response["Content-Language"] = translation.get_language()
        return response

    def _set_cache_headers(self, request, response):
        last_modified = getattr(self, "_last_modified", None)
        if last_modified:
            response["Last-Modified"] = http_date(last_modified.timestamp())
        if isinstance(request.auth, PartnerKey):
            patch_cache_control(response, private=True, max_age=60)
        else:
            patch_cache_control(response, public=True, max_age=60)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        items = page if page is not None else list(queryset)
        self._last_modified = max(
            (getattr(item, self.changed_field) for item in items), default=None
        )
        if self._last_modified is None:
            self._last_modified = queryset.aggregate(latest=Max(self.changed_field))[
                "latest"
            ]
        serializer = self.get_serializer(items, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)


class PublicViewSet(PublicAPIMixin, viewsets.ReadOnlyModelViewSet):
    """A read-only resource of published items, looked up by slug.

    Subclasses set `queryset` (starting from `published()`), `serializer_class`,
    and optionally `filterset_class`, `search_fields`, `ordering_fields`.
    """

    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        self._last_modified = getattr(instance, self.changed_field)
        serializer = self.get_serializer(instance)
        return Response(serializer.data)
