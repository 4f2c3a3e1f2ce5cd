"""Behaviour shared by the paginated public lists."""

import hashlib
from collections.abc import Sequence

from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from alliance.kernel.response_cache import remember


class ReversedRows(Sequence):
    """The rows of a queryset in reverse order, read when first used (as a
    queryset's are), so that a page served from a cached fragment reads none."""

    def __init__(self, queryset):
        self.queryset = queryset

    @cached_property
    def rows(self):
        return list(self.queryset)[::-1]

    def __getitem__(self, index):
        return self.rows[index]

    def __len__(self):
        return len(self.rows)


class RememberedCountPaginator(Paginator):
    """A paginator that counts the list once per state of the content.

    Counting 100,000 published articles takes longer than rendering the
    page; the count changes only when the content does, so it is kept under
    the content generation like a shared fragment.
    """

    def __init__(self, *args, count_key, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self):
        return remember(self.count_key, lambda: Paginator.count.func(self))

    def page(self, number):
        """The page; one in the second half of the list is read from its end.

        `OFFSET 99,000` makes the database walk 99,000 rows to skip them;
        the last page read backwards skips none. The list must be in a total
        order (ending with the primary key) for the two ways to agree.
        """
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if bottom <= self.count // 2 or not self._totally_ordered():
            return super().page(number)
        backwards = self.object_list.reverse()[self.count - top : self.count - bottom]
        return self._get_page(ReversedRows(backwards), number, self)

    def _totally_ordered(self):
        if not isinstance(self.object_list, QuerySet):
            return False
        ordering = self.object_list.query.order_by
        return bool(ordering) and ordering[-1].lstrip("-") in ("pk", "id")


class ListPageMixin:
    """For ListViews: a malformed ?page= is a 400 that says so (a page past the
    end stays a 404), and the list's length is remembered."""

    paginator_class = RememberedCountPaginator

    def paginate_queryset(self, queryset, page_size):
        page = self.request.GET.get(self.page_kwarg)
        if page not in (None, "", "last") and not page.isdigit():
            raise BadRequest(_("The page number must be a whole number."))
        return super().paginate_queryset(queryset, page_size)

    def get_paginator(self, queryset, per_page, **kwargs):
        # The list is the same for every page number: count it once for all.
        filters = self.request.GET.copy()
        filters.pop(self.page_kwarg, None)
        digest = hashlib.md5(
            f"{self.request.path}?{filters.urlencode()}".encode(),
            usedforsecurity=False,
        )
        return super().get_paginator(
            queryset, per_page, count_key=f"count:{digest.hexdigest()}", **kwargs
        )
