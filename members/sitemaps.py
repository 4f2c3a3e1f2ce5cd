from alliance.kernel.sitemaps import BilingualSitemap

from .models import Member


class MemberSitemap(BilingualSitemap):
    """Every published member's profile, in every language."""

    url_name = "members:member-detail"

    def items(self):
        return Member.objects.published()
