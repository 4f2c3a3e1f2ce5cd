"""Pagination shared by every API list."""

import datetime
import json
from base64 import b64decode, b64encode
from urllib import parse

from django.core import exceptions as django_exceptions
from django.db import models
from django.db.models import F, Q
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.utils.urls import replace_query_param

INVALID_CURSOR = (
    "This cursor is not valid. Follow the next and previous links of a list "
    "rather than building one."
)


class StablePagination(CursorPagination):
    """Cursor pagination: as fast on page 1,000 as on page 1.

    A cursor points at a position in a fixed ordering rather than an offset,
    so items inserted or removed while a partner pages through a list do not
    make it skip or repeat items.

    The position is the last item's value of every ordering field, and the
    ordering always ends with the primary key, so no two items share a
    position: a page starts strictly after the previous one's last item, even
    when many items have the same date or name. Nulls come last in ascending
    order and first in descending order, so `-x` is exactly `x` reversed.
    """

    page_size = 20
    page_size_query_param = "page_size"
    page_size_query_description = "Items per page, 1 to 100."
    max_page_size = 100
    cursor_query_description = (
        "Opaque: follow the next and previous links rather than building it."
    )
    # The primary key never changes: paging in its order visits every item
    # exactly once, and items added meanwhile come at the end.
    ordering = "id"
    tie_breaker = "id"

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        # isdecimal() alone would let in other scripts' digits, and
        # isdigit() superscripts, which int() refuses.
        if value is not None and (
            not (value.isascii() and value.isdecimal())
            or not 1 <= int(value) <= self.max_page_size
        ):
            raise ValidationError(
                {"page_size": [f"Use a whole number from 1 to {self.max_page_size}."]}
            )
        return super().get_page_size(request)

    def get_ordering(self, request, queryset, view):
        """The view's ordering, followed by the primary key unless it ends with it."""
        ordering = super().get_ordering(request, queryset, view)
        if ordering[-1].lstrip("-") != self.tie_breaker:
            direction = "-" if ordering[-1].startswith("-") else ""
            ordering = (*ordering, f"{direction}{self.tie_breaker}")
        return ordering

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.keys = [
            (term.lstrip("-"), term.startswith("-"), _model_field(queryset, term))
            for term in self.ordering
        ]
        self.cursor = self.decode_cursor(request)
        reverse = self.cursor is not None and self.cursor.reverse
        # A previous page is read backwards from the cursor, then turned round.
        keys = [
            (name, descending != reverse, field)
            for name, descending, field in self.keys
        ]
        queryset = queryset.order_by(*(_order(*key) for key in keys))
        if self.cursor is not None:
            queryset = queryset.filter(_after(keys, self.cursor.position))
        results = list(queryset[: self.page_size + 1])
        more = len(results) > self.page_size
        self.page = results[: self.page_size]
        if reverse:
            self.page.reverse()
            self.has_next, self.has_previous = True, more
        else:
            self.has_next, self.has_previous = more, self.cursor is not None
        return self.page

    def get_next_link(self):
        if not self.has_next:
            return None
        position = self._position(self.page[-1]) if self.page else self.cursor.position
        return self.encode_cursor(Cursor(offset=0, reverse=False, position=position))

    def get_previous_link(self):
        if not self.has_previous:
            return None
        position = self._position(self.page[0]) if self.page else self.cursor.position
        return self.encode_cursor(Cursor(offset=0, reverse=True, position=position))

    def _position(self, item):
        return tuple(getattr(item, name) for name, _descending, _field in self.keys)

    def encode_cursor(self, cursor):
        tokens = {"p": json.dumps([_to_json(value) for value in cursor.position])}
        if cursor.reverse:
            tokens["r"] = "1"
        encoded = b64encode(parse.urlencode(tokens).encode("ascii")).decode("ascii")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def decode_cursor(self, request):
        """The cursor of the request, its position checked against the ordering; None without one."""
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None
        try:
            text = b64decode(encoded.encode("ascii")).decode("ascii")
            tokens = parse.parse_qs(text, keep_blank_values=True, strict_parsing=True)
            if not set(tokens) <= {"p", "r"} or tokens.get("r", ["1"]) != ["1"]:
                raise ValueError(text)
            (values,) = tokens["p"]
            values = json.loads(values)
            if not isinstance(values, list):
                # Cursors of the primary key alone once held a bare number.
                values = [values]
            if len(values) != len(self.keys):
                raise ValueError(values)
            position = tuple(
                _from_json(field, value)
                for (_name, _descending, field), value in zip(
                    self.keys, values, strict=True
                )
            )
        except (
            ValueError,  # binascii, Unicode, JSON and parse errors are ValueErrors too
            KeyError,
            TypeError,
            OverflowError,
            RecursionError,  # deeply nested JSON
            django_exceptions.ValidationError,
        ):
            raise ValidationError({self.cursor_query_param: [INVALID_CURSOR]}) from None
        return Cursor(offset=0, reverse="r" in tokens, position=position)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        # Every page has both links, null at either end of the list.
        response["required"] = ["next", "previous", "results"]
        for name, side in (("next", "following"), ("previous", "preceding")):
            link = response["properties"][name]
            link.pop("example", None)
            link["description"] = (
                f"The {side} page, or null on the {'last' if name == 'next' else 'first'} one."
            )
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
            if parameter["name"] == self.cursor_query_param:
                parameter["schema"].update(minLength=1)
        return parameters


def _model_field(queryset, term):
    """The model field (or annotation's output field) an ordering term sorts by."""
    name = term.lstrip("-")
    if name in queryset.query.annotations:
        return queryset.query.annotations[name].output_field
    return queryset.model._meta.get_field(name)


def _order(name, descending, field):
    if not field.null:
        return f"-{name}" if descending else name
    return (
        F(name).desc(nulls_first=True) if descending else F(name).asc(nulls_last=True)
    )


def _after(keys, position):
    """Rows strictly after `position` in the order of `keys`: (v1, v2, ...) compared in turn."""
    condition = Q(pk__in=[])
    equal = Q()
    for (name, descending, field), value in zip(keys, position, strict=True):
        later = _later(name, descending, field, value)
        if later is not None:
            condition |= equal & later
        equal &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    return condition


def _later(name, descending, field, value):
    """Values of one field after `value`, nulls last going up, first going down; None if none."""
    if value is None:
        return Q(**{f"{name}__isnull": False}) if descending else None
    later = Q(**{f"{name}__lt" if descending else f"{name}__gt": value})
    if field.null and not descending:
        later |= Q(**{f"{name}__isnull": True})
    return later


def _to_json(value):
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _from_json(field, value):
    """A position value from a cursor, checked against its field's type; ValueError if not."""
    if value is None:
        if not field.null:
            raise ValueError(value)
        return None
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None or moment.tzinfo is None:
            raise ValueError(value)
        # In UTC: the database need not understand unusual offsets.
        return moment.astimezone(datetime.UTC)
    if isinstance(field, models.DateField):
        day = parse_date(value) if isinstance(value, str) else None
        if day is None:
            raise ValueError(value)
        return day
    if isinstance(field, models.IntegerField):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(value)
        if not -(2**63) <= value < 2**63:
            raise ValueError(value)
        field.run_validators(value)  # within the column's range
        return value
    if isinstance(field, models.CharField | models.TextField):
        if not isinstance(value, str) or "\x00" in value:
            raise ValueError(value)
        return value
    raise ValueError(value)
