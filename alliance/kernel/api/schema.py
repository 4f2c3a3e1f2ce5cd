"""The partner API's OpenAPI schema: what drf-spectacular cannot guess by itself.

Every operation documents its 200 answer (the viewset's serializer, wrapped
in the list page for lists), the errors every API view can give, and the
parameters and headers every view shares. They are added here, once, rather
than by decorators on each viewset: a decorator's `responses` replaces the
default answers instead of adding to them, which is how the schema once came
to list nothing but errors and generated clients to read nothing.
"""

from django.conf import settings
from drf_spectacular import openapi
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer."""

    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong, in words.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per query parameter, when some were not valid.",
    )


def error(description):
    return OpenApiResponse(ErrorSerializer, description=description)


ERRORS = {
    400: error(
        "A query parameter is unknown or not valid: `errors` names each one "
        "with what is wrong."
    ),
    401: error("The API key is not valid, has expired or was revoked."),
    429: error("Too many requests; wait for the seconds in the Retry-After header."),
    503: error("The service is briefly unavailable; retry shortly."),
}
NOT_FOUND = error("No published item has this slug.")
NOT_MODIFIED = OpenApiResponse(
    None,
    description="Nothing changed since the request's If-None-Match or If-Modified-Since.",
)

COMMON_PARAMETERS = [
    OpenApiParameter(
        "lang",
        {"$ref": "#/components/schemas/Language"},
        description=(
            "Language of the text fields. Without it, the Accept-Language "
            "header decides; then English."
        ),
    ),
    OpenApiParameter(
        "format",
        {"$ref": "#/components/schemas/Format"},
        description="JSON is the only format; the parameter may be left out.",
    ),
    OpenApiParameter(
        "Retry-After",
        OpenApiTypes.INT,
        location=OpenApiParameter.HEADER,
        response=[429],
        required=True,
        description="Seconds until the client may ask again.",
    ),
    OpenApiParameter(
        "Last-Modified",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=[200],
        description=(
            "When any public content last changed (HTTP date); send it back in "
            "If-Modified-Since to get a 304 while nothing has."
        ),
    ),
    OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        response=[200],
        description="Send it back in If-None-Match to get a 304 while the answer is the same.",
    ),
]


class AutoSchema(openapi.AutoSchema):
    """Each operation's 200 and errors, and the parameters every API view shares."""

    def get_tags(self):
        # One tag per resource: generated clients group operations by tag.
        return [self.path.removeprefix("/api/v1/").split("/")[0] or "api"]

    def get_override_parameters(self):
        return [*COMMON_PARAMETERS, *super().get_override_parameters()]

    def get_response_serializers(self):
        answers = {200: super().get_response_serializers(), 304: NOT_MODIFIED}
        if "{" in self.path:  # a detail, looked up by slug
            answers[404] = NOT_FOUND
        return {**answers, **ERRORS}


class TranslationsFieldExtension(OpenApiSerializerFieldExtension):
    """`translations`: an object per language, with the text fields of the resource.

    Two named components per resource, e.g. `MemberTranslations` (`en`,
    `zh-hans`) and `MemberText` (`name`, `summary`, ...), so that a
    generated client reads them as typed objects, not a free-form mapping.
    """

    target_class = "alliance.kernel.api.common.TranslationsField"

    def map_serializer_field(self, auto_schema, direction):
        parent = self.target.parent
        base = auto_schema._get_serializer_name(parent, direction)
        text = ResolvedComponent(
            name=f"{base}Text",
            type=ResolvedComponent.SCHEMA,
            object=f"{base}Text",
            schema={
                "type": "object",
                "description": "The text fields of the item in one language.",
                "properties": {
                    name: {"type": "string"} for name in parent.Meta.translated
                },
                "required": list(parent.Meta.translated),
            },
        )
        auto_schema.registry.register_on_missing(text)
        translations = ResolvedComponent(
            name=f"{base}Translations",
            type=ResolvedComponent.SCHEMA,
            object=f"{base}Translations",
            schema={
                "type": "object",
                "description": "The text fields in every language, by language code.",
                "properties": dict.fromkeys(LANGUAGE_CODES, text.ref),
                "required": list(LANGUAGE_CODES),
            },
        )
        auto_schema.registry.register_on_missing(translations)
        return translations.ref


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "alliance.kernel.api.backends.PartnerKeyAuthentication"
    name = "PartnerKey"
    optional = True  # anonymous reads are allowed, at a lower rate

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "A partner's key, issued in the admin. Raises the request allowance.",
        }


class FilterExtension(DjangoFilterExtension):
    """django-filter's parameters, keeping the filter's help text beside a custom schema."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, name, field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, name, field
        )
        help_text = field.extra.get("help_text")
        for parameter in parameters:
            if help_text and not parameter.get("description"):
                parameter["description"] = str(help_text)
        return parameters
