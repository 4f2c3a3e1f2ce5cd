"""Pagination shared by every API list."""

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
    ordering = ("-updated_at", "-pk")
