"""Pagination shared by every API list."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class StablePagination(CursorPagination):
    """Cursor pagination: as fast on page 1,000 as on page 1.

    A cursor points at a position in a fixed ordering rather than an offset,
    so items inserted or removed while a partner pages through a list do not
    make it skip or repeat items.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    # The primary key never changes: paging in its order visits every item
    # exactly once, and items added meanwhile come at the end.
    ordering = "id"

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is not None and (
            not value.isdigit() or not 1 <= int(value) <= self.max_page_size
        ):
            raise ValidationError(
                {"page_size": [f"Use a whole number from 1 to {self.max_page_size}."]}
            )
        return super().get_page_size(request)
