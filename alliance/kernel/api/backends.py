"""API classes that the REST framework settings name (authentication, throttles,
filters). They live apart from `common` because the framework imports them
while it builds its views, before `common` could finish importing."""

import datetime
import ipaddress
import re

from django.utils import timezone
from rest_framework import exceptions, filters
from rest_framework.authentication import BaseAuthentication
from rest_framework.filters import BaseFilterBackend
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from alliance.kernel.models import PartnerKey
from alliance.kernel.shared_cache import count as count_in_window


def client_address(request):
    """The client's address, as every rate limit and the sign-in lockout see it.

    REMOTE_ADDR, or with TRUSTED_PROXIES proxies in front, the address that
    many hops from the end of X-Forwarded-For: the one the outermost trusted
    proxy saw. A client cannot choose its own by sending the header. None
    when there is no valid address (a test client, a misconfigured proxy).
    """
    address = BaseThrottle().get_ident(request) or ""
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


# --- Access -----------------------------------------------------------------


def presented_key(request):
    """The partner key a request carries (checked or not), or "" when it has none.

    In `X-Api-Key`, or `Authorization: Api-Key <key>`.
    """
    key = request.META.get("HTTP_X_API_KEY") or ""
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if not key and authorization.startswith("Api-Key "):
        key = authorization.removeprefix("Api-Key ").strip()
    return key


class PartnerKeyAuthentication(BaseAuthentication):
    """A partner sends its key in `X-Api-Key` (or `Authorization: Api-Key <key>`)."""

    def authenticate(self, request):
        key = presented_key(request)
        if not key:
            return None
        # By prefix among all keys, not only the usable ones: the library's
        # get_from_key() leaves out revoked keys but lets expired ones in.
        prefix = key.partition(".")[0]
        partner_key = PartnerKey.objects.filter(prefix=prefix).first()
        if partner_key is None or not partner_key.is_valid(key):
            raise exceptions.AuthenticationFailed("This API key is not valid.")
        # Only the holder of the key learns why it no longer works.
        if partner_key.revoked:
            raise exceptions.AuthenticationFailed(
                "This API key was revoked. Ask the secretariat for a new one."
            )
        if partner_key.has_expired:
            expired = partner_key.expiry_date.astimezone(datetime.UTC)
            raise exceptions.AuthenticationFailed(
                f"This API key expired at {expired.isoformat().replace('+00:00', 'Z')}. "
                "Ask the secretariat for a new one."
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


class WindowThrottle(SimpleRateThrottle):
    """Count requests in fixed windows with one atomic increment in the shared cache.

    REST framework's own throttles keep a list of every request's time and
    rewrite it on each request: the list grows with the rate, and two workers
    writing it at once lose counts. A counter per window costs one increment,
    counts every request exactly once whichever worker serves it, and at the
    edge of two windows lets through at most twice the rate for a moment.
    """

    def window(self, request):
        """The counter of this client's current window, or None when nothing is counted."""
        if self.rate is None:
            return None
        self.key = self.get_cache_key(request, None)
        if self.key is None:
            return None
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        return f"{self.key}:{window}"

    def allow_request(self, request, view):
        key = self.window(request)
        if key is None:
            return True
        # In this worker's memory when the shared cache is away: the limit
        # then holds per worker rather than not at all.
        count = count_in_window(key, self.duration + 1, cache=self.cache)
        return count <= self.num_requests

    def wait(self):
        return getattr(self, "wait_seconds", None)


class AnonymousThrottle(WindowThrottle):
    """Requests without a key, counted per client address.

    Counted by `allowance.AnonymousAllowanceMiddleware`, before the response
    cache, rather than by the API's views: a cached answer counts too.
    """

    scope = "anon"

    def get_cache_key(self, request, view):
        if isinstance(getattr(request, "auth", None), PartnerKey):
            return None
        return self.cache_format % {
            "scope": self.scope,
            "ident": self.get_ident(request),
        }


class PartnerThrottle(WindowThrottle):
    """Requests with a partner key, counted per key, at the partners' higher rate."""

    scope = "partner"

    def get_cache_key(self, request, view):
        if not isinstance(getattr(request, "auth", None), PartnerKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


# RFC 3339's date-time, which OpenAPI's `format: date-time` means: a date, a
# time to the second (a fraction allowed) and an offset or Z. A space stands
# for the offset's "+" that a client left unencoded in the query string.
RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([-+ ])(\d{2}):(\d{2}))",
    re.ASCII,
)
INVALID_MOMENT = (
    "'%(value)s' is not an RFC 3339 date-time: give the date, the time and the "
    "offset, e.g. 2024-05-01T00:00:00Z."
)


def parse_moment(value):
    """An RFC 3339 date-time, in UTC; ValueError if `value` is not one.

    A moment too early or too late to be written in UTC (0001-01-01T00:30:00+01:00)
    becomes the earliest or latest one: nothing in the database is beyond them.
    """
    match = RFC3339.fullmatch(value)
    if match is None:
        raise ValueError(value)
    year, month, day, hour, minute, second = map(int, match.groups()[:6])
    fraction, utc, sign, offset_hours, offset_minutes = match.groups()[6:]
    if offset_hours is not None and (
        int(offset_hours) > 23 or int(offset_minutes) > 59
    ):
        raise ValueError(value)
    # A leap second is valid RFC 3339; Python has no second 60.
    leap = second == 60
    moment = datetime.datetime(
        year, month, day, hour, minute, 59 if leap else second,
        int((fraction or "0")[:6].ljust(6, "0")),
    )  # fmt: skip
    if utc is None:
        offset = datetime.timedelta(
            hours=int(offset_hours), minutes=int(offset_minutes)
        )
        offset = -offset if sign == "-" else offset
    else:
        offset = datetime.timedelta(0)
    try:
        moment = moment - offset + datetime.timedelta(seconds=leap)
    except OverflowError:
        moment = (
            datetime.datetime.min
            if offset > datetime.timedelta(0)
            else datetime.datetime.max
        )
    return moment.replace(tzinfo=datetime.UTC)


def moment_parameter(name, value):
    """`value` of the query parameter `name` as a moment in UTC, or a 400 naming it."""
    try:
        return parse_moment(value)
    except ValueError:
        raise exceptions.ValidationError(
            {name: [INVALID_MOMENT % {"value": value[:40]}]}
        ) from None


class UpdatedSinceFilter(BaseFilterBackend):
    """`?updated_since=`: items changed at or after a moment (RFC 3339)."""

    parameter = "updated_since"

    def filter_queryset(self, request, queryset, view):
        value = request.query_params.get(self.parameter)
        if value is None:
            return queryset
        moment = moment_parameter(self.parameter, value)
        return queryset.filter(**{f"{view.changed_field}__gte": moment})

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.parameter,
                "required": False,
                "in": "query",
                "description": (
                    "Only items changed at or after this moment: an RFC 3339 "
                    "date-time with its offset, e.g. 2024-05-01T00:00:00Z."
                ),
                "schema": {"type": "string", "format": "date-time"},
            }
        ]


class SearchFilter(filters.SearchFilter):
    """`?search=`: the site search's index where the model has one.

    Articles, members, scenarios and events are found as on the site's
    pages, through their search documents (every word must appear, a word
    of three letters or more also as the start of a longer one, Chinese by
    runs of characters); the small category lists match `search_fields`
    with `icontains`.
    """

    search_description = (
        "Words to look for. Every word must appear in the item's text, in "
        "either language; a word of three letters or more also matches the "
        "start of a longer word."
    )

    def filter_queryset(self, request, queryset, view):
        if not hasattr(queryset, "search"):
            return super().filter_queryset(request, queryset, view)
        query = request.query_params.get(self.search_param, "")
        return queryset.search(query) if query.strip() else queryset


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=`: one of the view's `ordering_fields`, `-` in front to reverse it.

    Anything else is a 400 listing the allowed values, rather than a quiet
    fallback to the default order. `updated_at` sorts by the view's
    `changed_field`, the value the items show as their `updated_at`.
    """

    def get_ordering(self, request, queryset, view):
        value = request.query_params.get(self.ordering_param)
        if not value:
            return self.get_default_ordering(view)
        allowed = self.allowed_values(view)
        if value not in allowed:
            raise exceptions.ValidationError(
                {self.ordering_param: [f"Use one of: {', '.join(allowed)}."]}
            )
        name = value.removeprefix("-")
        if name == "updated_at":
            name = view.changed_field
        return (f"-{name}" if value.startswith("-") else name,)

    @staticmethod
    def allowed_values(view):
        return [value for name in view.ordering_fields for value in (name, f"-{name}")]

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": (
                    "The order of the list; `-` in front reverses it. Default: "
                    f"{', '.join(self.get_default_ordering(view))}."
                ),
                "schema": {"type": "string", "enum": self.allowed_values(view)},
            }
        ]
