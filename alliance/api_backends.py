"""API classes that the REST framework settings name (authentication, throttles,
filters). They live apart from `api_common` because the framework imports them
while it builds its views, before `api_common` could finish importing."""

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.filters import BaseFilterBackend
from rest_framework.throttling import SimpleRateThrottle

from .models import PartnerKey

# --- Access -----------------------------------------------------------------


class PartnerKeyAuthentication(BaseAuthentication):
    """A partner sends its key in `X-Api-Key` (or `Authorization: Api-Key <key>`)."""

    def authenticate(self, request):
        key = request.META.get("HTTP_X_API_KEY") or ""
        authorization = request.META.get("HTTP_AUTHORIZATION", "")
        if not key and authorization.startswith("Api-Key "):
            key = authorization.removeprefix("Api-Key ").strip()
        if not key:
            return None
        try:
            partner_key = PartnerKey.objects.get_from_key(key)
        except PartnerKey.DoesNotExist:
            partner_key = None
        if partner_key is None or not partner_key.is_valid(key):
            raise exceptions.AuthenticationFailed(
                "This API key is not valid, has expired or was revoked."
            )
        self._record_use(partner_key)
        return (None, partner_key)

    def authenticate_header(self, request):
        return "Api-Key"

    @staticmethod
    def _record_use(partner_key):
        # At most one write a minute per key, not one per request.
        now = timezone.now()
        if (
            partner_key.last_used_at is None
            or now - partner_key.last_used_at > datetime.timedelta(minutes=1)
        ):
            PartnerKey.objects.filter(pk=partner_key.pk).update(last_used_at=now)


class AnonymousThrottle(SimpleRateThrottle):
    """Requests without a key, counted per client address."""

    scope = "anon"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, PartnerKey):
            return None
        return self.cache_format % {
            "scope": self.scope,
            "ident": self.get_ident(request),
        }


class PartnerThrottle(SimpleRateThrottle):
    """Requests with a partner key, counted per key, at the partners' higher rate."""

    scope = "partner"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, PartnerKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


def parse_moment(value):
    """An ISO 8601 date or date-time; naive times are taken as UTC."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise ValueError(value)
        moment = datetime.datetime.combine(day, datetime.time.min)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    # In UTC: the database need not understand unusual offsets such as +22:09.
    return moment.astimezone(datetime.UTC)


class UpdatedSinceFilter(BaseFilterBackend):
    """`?updated_since=`: items changed at or after a moment (ISO 8601)."""

    parameter = "updated_since"

    def filter_queryset(self, request, queryset, view):
        value = request.query_params.get(self.parameter)
        if not value:
            return queryset
        try:
            moment = parse_moment(value.replace(" ", "+"))
        except (ValueError, OverflowError):
            raise exceptions.ValidationError(
                {
                    self.parameter: [
                        f"'{value[:40]}' is not an ISO 8601 date or date-time, e.g. 2024-05-01T00:00:00Z."
                    ]
                }
            ) from None
        return queryset.filter(**{f"{view.changed_field}__gte": moment})
