import django_filters
from django.db.models.functions import Greatest

from alliance.kernel.api.common import BooleanFilter, Nested, PublicViewSet, SlugFilter
from members.models import Member

from .models import Article, Tag
from .serializers import ArticleSerializer, TagSerializer


class ArticleFilter(django_filters.FilterSet):
    tag = SlugFilter(
        field_name="tags",
        queryset=Tag.objects.published(),
        help_text="A tag's slug.",
    )
    member = SlugFilter(
        field_name="members",
        queryset=Member.objects.published(),
        help_text="A member's slug.",
    )
    featured = BooleanFilter(help_text="true for featured articles only.")

    class Meta:
        model = Article
        fields = ["tag", "member", "featured"]


class ArticleViewSet(PublicViewSet):
    """Published news articles (scheduled ones appear at their publish time)."""

    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter
    changed_field = "changed_at"
    search_fields = ["title_en", "title_zh_hans", "summary_en", "summary_zh_hans"]
    ordering_fields = ["id", "updated_at", "published_at"]
    nested = (
        Nested("tags", "tag-detail", order=("tag__slug",)),
        Nested("members", "member-detail", order=("member__name",)),
        Nested("scenarios", "scenario-detail", "title", order=("scenario__title",)),
    )

    def get_queryset(self):
        # A new query each time: published() compares with the current time.
        return (
            Article.objects.published()
            .annotate(changed_at=Greatest("updated_at", "published_at"))
            .select_related("event")
        )


class TagViewSet(PublicViewSet):
    """Published tags of the news."""

    queryset = Tag.objects.published()
    serializer_class = TagSerializer
    search_fields = ["name_en", "name_zh_hans"]
