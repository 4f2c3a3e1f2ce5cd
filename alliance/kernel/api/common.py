"""What every resource of the partner API shares.

One item shape (slug, url, html_url, updated_at in UTC, text in the requested
language plus all translations), one way to choose the language, strict query
parameters, `updated_since`, conditional GET headers, partner keys, throttles
and JSON errors. Resources in each app's `api.py` only say what is theirs.
"""

import datetime
import re
from dataclasses import dataclass

import django_filters
from django import forms
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import NoReverseMatch
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from alliance.kernel import record_keys, translated
from alliance.kernel.api.backends import (
    INVALID_MOMENT,
    OrderingFilter,
    SearchFilter,
    UpdatedSinceFilter,
    parse_moment,
)
from alliance.kernel.models import PartnerKey
from alliance.kernel.publishing import list_url, slug_url
from alliance.kernel.response_cache import last_modified, remember_each
from alliance.kernel.rich_text import render_rich_text

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
KEY_HEADER = "X-Api-Key"


# --- Errors -----------------------------------------------------------------


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


# --- Filters ----------------------------------------------------------------


class StrictBooleanField(forms.Field):
    """true/false or 1/0, nothing else: a typo is an error, not "no filter"."""

    values = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return self.values[str(value).lower()]
        except KeyError:
            raise forms.ValidationError("Use true or false.") from None


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


@extend_schema_field({"type": "string", "pattern": SLUG_PATTERN})
class SlugFilter(django_filters.ModelChoiceFilter):
    """A published related item by its slug; an unknown slug is a 400, not an empty list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        super().__init__(*args, **kwargs)


class MomentField(forms.Field):
    """An RFC 3339 date-time (see `parse_moment`), in UTC."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return parse_moment(value)
        except ValueError:
            # Through params: django-filter %-formats messages, and the
            # value is the client's text.
            raise forms.ValidationError(
                INVALID_MOMENT, params={"value": value[:40]}
            ) from None


@extend_schema_field({"type": "string", "format": "date-time"})
class MomentFilter(django_filters.Filter):
    field_class = MomentField


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class ISODateField(forms.Field):
    """A date as YYYY-MM-DD (RFC 3339's full-date), the only form the schema names."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            if not ISO_DATE.fullmatch(value):
                raise ValueError(value)
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(
                "'%(value)s' is not a date: use YYYY-MM-DD.",
                params={"value": value[:40]},
            ) from None


@extend_schema_field({"type": "string", "format": "date"})
class DateFilter(django_filters.DateFilter):
    field_class = ISODateField


# --- Item shape -------------------------------------------------------------


class UTCDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC with a Z, whatever the site's time zone."""

    def to_representation(self, value):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


class ImageSerializer(serializers.Serializer):
    url = serializers.URLField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    alt = serializers.CharField(help_text="The alternative text of the image.")


def image_data(request, image, width=None, height=None):
    """An absolute image URL with its size, or None."""
    if not image:
        return None
    return {
        "url": absolute(request, image.url),
        "width": width,
        "height": height,
    }


class TranslatedField(serializers.CharField):
    """A translated text in the requested language, or in another when it has none.

    What the model's translated attribute gives, read from the language
    columns directly: that attribute works out the language and its
    fallbacks on every access, hundreds of times in a list answer.
    """

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj):
        # Named once per serializer: one field serves every item of a list.
        order = self.__dict__.get("_columns")
        if order is None:
            order = self._columns = translated.columns_in_order(self.field_name)
        values = obj.__dict__
        for column in order:
            value = values.get(column)
            if value:
                return value
        return ""


class TranslationsField(serializers.Field):
    """The serializer's `Meta.translated` fields in every language, by language code.

    Documented as named components by `api_schema.TranslationsFieldExtension`.
    """

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, obj):
        fields = self.parent.Meta.translated
        rich_text = getattr(self.parent.Meta, "rich_text", ())
        translations = {}
        for code in LANGUAGE_CODES:
            values = {}
            for name in fields:
                value = getattr(obj, translated.column(name, code)) or ""
                if name in rich_text:
                    # A body in the editor's HTML, as that language's page shows it.
                    with translation.override(code):
                        value = render_rich_text(value)
                values[name] = value
            translations[code] = values
        return translations


class RichTextAPIField(TranslatedField):
    """A body written in the editor, as the page shows it (alliance/kernel/rich_text.py)."""

    def to_representation(self, obj):
        return render_rich_text(super().to_representation(obj))


class PublicSerializer(serializers.ModelSerializer):
    """Base of every resource: slug, url, html_url, updated_at, translations.

    `Meta.translated` lists the text fields that exist in every language: each
    appears once in the requested language and again in `translations`.
    `Meta.rich_text` lists those written in the editor: they are given as
    the pages show them, cleaned, headings with their permalinks.
    """

    url = serializers.SerializerMethodField(help_text="This item in the API.")
    html_url = serializers.SerializerMethodField(
        help_text="This item's page on the site, in the requested language."
    )
    updated_at = UTCDateTimeField(help_text="When the item last changed (UTC).")
    translations = TranslationsField(help_text="Every text field in every language.")

    api_detail_name = None  # the router's detail route, e.g. "member-detail"

    def get_fields(self):
        # Read-only, so that the schema says every field is always present.
        fields = super().get_fields()
        for field in fields.values():
            field.read_only, field.required = True, False
        return fields

    def build_field(self, field_name, info, model_class, nested_depth):
        if field_name in getattr(self.Meta, "translated", ()):
            model_field = model_class._meta.get_field(field_name)
            if field_name in getattr(self.Meta, "rich_text", ()):
                return RichTextAPIField, {
                    "help_text": f"{model_field.verbose_name} (sanitized HTML)"
                }
            return TranslatedField, {"help_text": model_field.verbose_name}
        return super().build_field(field_name, info, model_class, nested_depth)

    def get_url(self, obj) -> str:
        return absolute(
            self.context["request"], slug_url(f"api:{self.api_detail_name}", obj.slug)
        )

    def get_html_url(self, obj) -> str | None:
        try:
            return absolute(self.context["request"], obj.get_absolute_url())
        except (AttributeError, NoReverseMatch):
            return None


class CategorySerializer(PublicSerializer):
    """A category (sector, field, tag) whose page is the list it filters, e.g. /members/?sector=."""

    list_url_name = None  # the filtered page, e.g. "members:member-list"
    filter_parameter = None  # its query parameter, e.g. "sector"

    def get_html_url(self, obj) -> str:
        url = list_url(self.list_url_name, **{self.filter_parameter: obj.slug})
        return absolute(self.context["request"], url)


def absolute(request, path):
    """`request.build_absolute_uri(path)` for a path on this site.

    A list answer holds hundreds of links; the scheme and host (checked
    against ALLOWED_HOSTS each time) are worked out once per request.
    """
    if "://" in path:  # already absolute, as object storage gives media
        return path
    origin = getattr(request, "_site_origin", None)
    if origin is None:
        origin = request._site_origin = request.build_absolute_uri("/")[:-1]
    return origin + path


def summary(obj, request, route, title="name"):
    """A nested summary of a related object: slug, its title, and its API URL."""
    return {
        "slug": obj.slug,
        title: getattr(obj, title),
        "url": absolute(request, slug_url(f"api:{route}", obj.slug)),
    }


@dataclass(frozen=True)
class Nested:
    """A many-to-many relation an item shows as summaries of the published objects it links to.

    `route` is the API route of those objects, `title` the field a summary
    shows beside the slug, `order` how they are listed (lookups from the link
    table), and `extra` fields of the link itself (a member's role in a
    scenario) that come along, with the summary then under `wrap`.
    """

    relation: str
    route: str
    title: str = "name"
    order: tuple = ()
    extra: tuple = ()
    wrap: str = ""


def in_language(values):
    """The first value, by language code, that has text: the active language's, then the fallbacks."""
    return next((values[code] for code in translated.languages() if values[code]), "")


def attach_summaries(items, model, nested, request):
    """Give each item `nested_summaries[relation]`: the summaries of what it links to.

    One light query per relation, through its link table, reading only the
    columns a summary shows. Loading related rows as model instances and
    handing each item a related manager, as prefetch_related does, cost more
    than the rest of a list answer.
    """
    by_pk = {item.pk: item for item in items}
    for item in items:
        item.nested_summaries = {spec.relation: [] for spec in nested}
    if not by_pk:
        return
    for spec in nested:
        field = model._meta.get_field(spec.relation)
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        titles = {
            code: translated.column(f"{target}__{spec.title}", code)
            for code in LANGUAGE_CODES
        }
        # What the answers show, for a caching proxy (`record_keys`): the
        # links of these items (whose keys their answers carry) and the
        # records linked, by their keys rather than their tables.
        with record_keys.not_shown():
            rows = list(
                through.objects.filter(
                    field.related_model.published_condition(prefix=f"{target}__"),
                    **{f"{source}__in": list(by_pk)},
                )
                .order_by(*spec.order, f"{target}_id")
                .values_list(
                    f"{source}_id",
                    f"{target}_id",
                    f"{target}__slug",
                    *titles.values(),
                    *spec.extra,
                )
            )
        record_keys.shown(model, by_pk)
        record_keys.shown(field.related_model, {row[1] for row in rows})
        for item_pk, _target_pk, slug, *rest in rows:
            title, extra = rest[: len(titles)], rest[len(titles) :]
            entry = {
                "slug": slug,
                spec.title: in_language(dict(zip(titles, title, strict=True))),
                "url": absolute(request, slug_url(f"api:{spec.route}", slug)),
            }
            if spec.wrap:
                entry = {spec.wrap: entry, **dict(zip(spec.extra, extra, strict=True))}
            by_pk[item_pk].nested_summaries[spec.relation].append(entry)


class SummarySerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    url = serializers.URLField()


class TitledSummarySerializer(serializers.Serializer):
    slug = serializers.SlugField()
    title = serializers.CharField()
    url = serializers.URLField()


class MethodFirstMixin:
    """A method the view does not answer is a 405 (with Allow), whatever else is wrong.

    REST framework looks at the key, the format and the parameters before
    the method, and would answer 401, 404 or 400 to a PUT.
    """

    def check_method(self, request):
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise exceptions.MethodNotAllowed(request.method)

    def initial(self, request, *args, **kwargs):
        self.check_method(request)
        super().initial(request, *args, **kwargs)


class PublicAPIMixin(MethodFirstMixin):
    """Language, strict parameters, conditional GET and cache headers of every API view."""

    changed_field = "updated_at"
    ordering = ["id"]
    ordering_fields = ["id", "updated_at"]
    # REST_FRAMEWORK's backends, with an ordering that refuses unknown values.
    filter_backends = [
        UpdatedSinceFilter,
        DjangoFilterBackend,
        SearchFilter,
        OrderingFilter,
    ]
    base_parameters = {
        "lang",
        "cursor",
        "page_size",
        "search",
        "ordering",
        "updated_since",
        "format",
    }
    may_be_empty = {"search"}

    def initial(self, request, *args, **kwargs):
        self.check_method(request)
        self._activate_language(request)
        self._check_format(request)
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

    def _check_format(self, request):
        # JSON is the only format: another is a 400 saying so, not a bare 404.
        if request.query_params.get("format") not in (None, "json"):
            raise exceptions.ValidationError({"format": ["Use json, or leave it out."]})

    def _allowed_parameters(self):
        allowed = set(self.base_parameters)
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        return allowed

    def _check_parameters(self, request):
        if getattr(self, "action", None) != "list":
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
        # An empty value is not a value of any parameter but the search
        # words: `?stage=` is a mistake to point out, not "no filter".
        empty = sorted(
            name
            for name, values in request.query_params.lists()
            if "" in values and name not in self.may_be_empty
        )
        if empty:
            raise exceptions.ValidationError(
                {name: ["Give a value, or leave the parameter out."] for name in empty}
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

    # The relations whose summaries each item shows (see `Nested`).
    nested = ()

    def _set_cache_headers(self, request, response):
        # Any change that could alter this answer, a nested object's or a
        # deletion's included, moves the site-wide time; so an unchanged
        # Last-Modified means an unchanged answer.
        response["Last-Modified"] = http_date(last_modified().timestamp())
        if isinstance(request.auth, PartnerKey):
            patch_cache_control(response, private=True, max_age=60)
        else:
            patch_cache_control(response, public=True, max_age=60)


class PublicViewSet(PublicAPIMixin, viewsets.ReadOnlyModelViewSet):
    """A read-only resource of published items, looked up by slug.

    Subclasses set `queryset` (starting from `published()`), `serializer_class`,
    and optionally `filterset_class`, `ordering_fields`, and `search_fields`
    where the model has no search document (see `SearchFilter`).
    """

    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.represent(page))

    def retrieve(self, request, *args, **kwargs):
        return Response(self.represent([self.get_object()])[0])

    def represent(self, items):
        """The items' data, each remembered until the public content changes.

        An item's nested summaries and its serializing cost more than reading
        its row, and it looks the same in every list and page it appears on.
        The key holds what else shapes it: the language and the site's origin
        (links are absolute).
        """
        items = list(items)
        if not items:
            return []
        model = type(items[0])
        prefix = ":".join(
            (
                "api-item",
                model._meta.label_lower,
                translation.get_language(),
                absolute(self.request, ""),
            )
        )

        def compute(missing):
            self.attach_related(missing)
            return self.get_serializer(missing, many=True).data

        return remember_each(items, lambda item: f"{prefix}:{item.pk}", compute)

    def attach_related(self, items):
        """Give the items what their answers nest, in a few queries for all of them."""
        if self.nested:
            attach_summaries(items, type(items[0]), self.nested, self.request)


# --- Schema and docs ----------------------------------------------------------


class SchemaView(MethodFirstMixin, SpectacularAPIView):
    """The OpenAPI schema, at /api/schema/."""


class DocsPageMixin(MethodFirstMixin):
    """The documentation pages: HTML that reads the schema, the same for everyone.

    No key is looked at (a wrong one would otherwise need an HTML error
    page the docs do not have), and OPTIONS answers with Allow alone, as
    REST framework's JSON description of a view cannot be drawn as a page.
    """

    authentication_classes = []

    def options(self, request, *args, **kwargs):
        return HttpResponse(status=200)


class SwaggerView(DocsPageMixin, SpectacularSwaggerSplitView):
    """Swagger UI, at /api/docs/."""
