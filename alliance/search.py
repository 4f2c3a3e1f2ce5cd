"""One search over news, members, scenarios and events.

Each kind is matched with case-insensitive containment on its reader-facing
text in every language, which finds Chinese words without a word segmenter.
On PostgreSQL trigram (pg_trgm) GIN indexes on those columns serve the
`LIKE '%...%'` lookups, so the search stays fast on large tables; on SQLite the
same queries scan. Results are ranked (a match in the title outranks one in
the summary, which outranks one in the body), then newest first.
"""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from members.models import Member
from news.models import Article

from .models import Event, Scenario

MIN_LENGTH = 1
MAX_LENGTH = 100
PER_KIND = 10
TRIGRAM = 3
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def language_columns(name):
    return [f"{name}_{code.replace('-', '_')}" for code, _label in settings.LANGUAGES]


@dataclass
class Kind:
    key: str
    label: str
    queryset: object
    title: str
    summary: str
    body: str | None = None
    order: tuple = ("-updated_at",)

    def search(self, query):
        title = Q()
        for column in language_columns(self.title):
            title |= Q(**{f"{column}__icontains": query})
        summary = Q()
        for column in language_columns(self.summary):
            summary |= Q(**{f"{column}__icontains": query})
        body = Q()
        if self.body and len(query) >= TRIGRAM:
            for column in language_columns(self.body):
                body |= Q(**{f"{column}__icontains": query})
        rank = Case(
            When(title, then=Value(3)),
            When(summary, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return (
            self.queryset()
            .filter(title | summary | body)
            .annotate(rank=rank)
            .order_by("-rank", *self.order)
        )


KINDS = [
    Kind(
        "news",
        _("News"),
        lambda: Article.objects.published(),
        "title",
        "summary",
        "body",
        order=("-published_at", "-pk"),
    ),
    Kind(
        "members",
        _("Members"),
        lambda: Member.objects.published().select_related("tier"),
        "name",
        "summary",
        "capability",
    ),
    Kind(
        "scenarios",
        _("Application scenarios"),
        lambda: Scenario.objects.published().select_related("field"),
        "title",
        "summary",
        "description",
    ),
    Kind(
        "events",
        _("Events"),
        lambda: Event.objects.published(),
        "name",
        "summary",
        "description",
        order=("-starts_on",),
    ),
]


@dataclass
class Group:
    key: str
    label: str
    count: int
    results: list


@dataclass
class SiteSearch:
    raw_query: str
    query: str = ""
    error: str = ""
    groups: list = field(default_factory=list)

    def __post_init__(self):
        self.query = CONTROL_CHARACTERS.sub(" ", self.raw_query or "").strip()
        self.query = " ".join(self.query.split())
        if not self.query:
            return
        if len(self.query) > MAX_LENGTH:
            self.error = _(
                "The search is too long: use at most %(max)d characters."
            ) % {"max": MAX_LENGTH}
            return
        for kind in KINDS:
            matches = kind.search(self.query)
            results = list(matches[:PER_KIND])
            count = len(results) if len(results) < PER_KIND else matches.count()
            if count:
                self.groups.append(Group(kind.key, kind.label, count, results))

    @property
    def total(self):
        return sum(group.count for group in self.groups)
