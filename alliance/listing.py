"""Behaviour shared by the paginated public lists."""

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _


class StrictPageMixin:
    """Answer a malformed ?page= with a 400 that says so (a page past the end stays 404)."""

    def paginate_queryset(self, queryset, page_size):
        page = self.request.GET.get(self.page_kwarg)
        if page not in (None, "", "last") and not page.isdigit():
            raise BadRequest(_("The page number must be a whole number."))
        return super().paginate_queryset(queryset, page_size)
