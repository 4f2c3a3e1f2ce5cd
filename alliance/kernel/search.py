"""One search over news, members, scenarios, events, initiatives and pages, fast at any size.

What a search means
    The query is split into terms: Latin-script words (lowercased) and runs of
    Chinese characters. An object matches when its reader-facing text, in any
    language, has every term: a word of three letters or more matches the
    words it starts (`satellite` finds "satellites"), a shorter one whole words
    only, and a run of Chinese characters matches where its characters stand
    next to each other, so a two-character word such as 能源 is found without
    a word segmenter. Matches are ranked by where the terms are (all in the
    title, else all in the summary, else elsewhere), then newest first.

How PostgreSQL answers it
    Each searchable model has a one-to-one "search document" row holding all
    its searchable text as one `tsvector`, with a GIN index. The vector uses
    the 'simple' configuration (lowercase, no stemming, no stop words, so no
    language is favoured), after the SQL function `alliance_search_vector()`
    has cut every run of Chinese characters into overlapping two-character
    pieces plus the run's last character (电网巡检 → 电网 网巡 巡检 检). A
    Chinese term becomes the AND of its pieces (a single character matches as
    a prefix), so 能源 is one index lookup, where `LIKE '%能源%'` can use no
    trigram index at all (trigrams need three characters).

    The documents live beside the content, not in its tables, so that the
    pages and the API, which load whole rows, never carry the vectors; and a
    database trigger keeps them current, so every way of writing content (the
    admin, `save()`, `update()`, `bulk_create()` in `generate_load_data`, raw
    SQL) is covered without code in each writer. The migrations fill the
    documents of existing rows in one statement.

    Why not a column on each model: the vector would travel with every page
    and API row. Why not trigram indexes on the text (the previous design):
    they cannot serve two-character Chinese words, and a search that OR-s six
    `LIKE` conditions and then counts and ranks every match reads most of the
    table for a common word (1-2.5 s on 100,000 articles).

Why each search is a bounded amount of work
    Ranking and counting every match is what made a common word slow. Instead,
    one query per kind fetches the titles and summaries of the newest `POOL`
    + 1 published matches; Python ranks those (title, summary, rest, then
    newest) and keeps the first `PER_KIND`; the count is exact up to `POOL`
    and shown as "100+" beyond. PostgreSQL answers "newest matches" either by
    walking the date index until it has enough (cheap for a common word) or
    from the GIN index (cheap for a rare one), choosing by the word's
    statistics. A pool of 100, rather than the 10 shown, keeps that choice
    right for words the statistics do not know: PostgreSQL then expects about
    0.5% of rows to match, and for a pool of 100 it prefers the index up to
    several hundred thousand rows. The ranking is exact whenever the newest
    100 matches hold at least ten title matches; otherwise the title matches
    among them come first.

SQLite (no DATABASE_URL) has neither the documents nor the trigger: the same
queries fall back to case-insensitive containment of each term in the text
columns, which is plenty for a development database.
"""

import html
import re
from dataclasses import InitVar, dataclass, field

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connections, migrations, models
from django.db.models import Q
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname, resolution_order

MAX_LENGTH = 100
PER_KIND = 10
# How many of the newest matches are ranked and counted (see above).
POOL = 100
# Shorter words match only whole words: "ai" should not find "air".
PREFIX_LENGTH = 3
SUMMARY_LENGTH = 220
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

# Chinese characters: the CJK unified ideographs, extension A and the
# compatibility block. Kept in step with the migration that creates
# alliance_search_vector() (a test compares the two).
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TERM = re.compile(rf"[{CJK}]+|[^\W_{CJK}]+")
CJK_RUN = re.compile(rf"[{CJK}]+")


def search_terms(query):
    """Split a query into lowercase words and runs of Chinese characters, each once."""
    return list(dict.fromkeys(TERM.findall((query or "").lower())))


def tsquery_text(terms):
    """The tsquery (in to_tsquery syntax) that matches text having every term.

    Terms are made only of letters and digits (see TERM), so quoting them needs
    no escaping.
    """
    operands = []
    for term in terms:
        if CJK_RUN.fullmatch(term):
            if len(term) == 1:
                operands.append(f"'{term}':*")
            else:
                operands += [f"'{term[i : i + 2]}'" for i in range(len(term) - 1)]
        elif len(term) >= PREFIX_LENGTH:
            operands.append(f"'{term}':*")
        else:
            operands.append(f"'{term}'")
    return " & ".join(dict.fromkeys(operands))


def term_pattern(term):
    """A regular expression finding a term in text the way the database matches it."""
    if CJK_RUN.fullmatch(term):
        return re.escape(term)
    letter = rf"[^\W_{CJK}]"
    end = "" if len(term) >= PREFIX_LENGTH else f"(?!{letter})"
    return rf"(?<!{letter}){re.escape(term)}{end}"


def localized_columns(name):
    """The database columns of a translated field, one per configured language."""
    return [
        build_localized_fieldname(name, code) for code, _label in settings.LANGUAGES
    ]


class SearchDocument(models.Model):
    """An object's searchable text as PostgreSQL indexes it; a trigger keeps it current.

    Subclasses add the one-to-one key to their model, with
    `related_name="search_document"`. On SQLite the table stays empty.
    """

    text = SearchVectorField(editable=False)

    class Meta:
        abstract = True


class SearchableQuerySet(models.QuerySet):
    """`search(query)` for a model with a SearchDocument.

    Subclasses name the translated fields that make up the title, the summary
    and the rest of the searchable text: the ranking and the SQLite fallback
    read them; on PostgreSQL the model's migration has the trigger read the
    same columns.
    """

    search_title_fields = ("title",)
    search_summary_fields = ("summary",)
    search_body_fields = ()

    def search(self, query):
        """Return the objects whose text holds every term of the query.

        None when the query has no terms (only punctuation, say). It filters
        and does not order: `Article.objects.published().search(q).newest_first()`
        is the news list's `?q=`, `Member.objects.published().search(q)` the
        directory's.
        """
        terms = search_terms(query)
        if not terms:
            return self.none()
        if connections[self.db].vendor == "postgresql":
            tsquery = SearchQuery(
                tsquery_text(terms), search_type="raw", config="simple"
            )
            return self.filter(search_document__text=tsquery)
        fields = (
            self.search_title_fields
            + self.search_summary_fields
            + self.search_body_fields
        )
        condition = Q()
        for term in terms:
            anywhere = Q()
            for name in fields:
                for column in localized_columns(name):
                    anywhere |= Q(**{f"{column}__icontains": term})
            condition &= anywhere
        return self.filter(condition)


# --- Migrations --------------------------------------------------------------


def search_document_trigger(table, document_table, key, columns):
    """A migration operation that maintains `document_table` from `table` on PostgreSQL.

    `columns` are the text columns of `table` to search. The operation creates
    the trigger function and the trigger, fills the documents of the rows
    already there, and indexes them; reversed, it removes them. It needs
    alliance_search_vector() (alliance migration 0007). Migrations call this
    with literal arguments: keep its behaviour stable.
    """
    function = f"{table}_search_document"
    listed = ", ".join(columns)
    from_new = ", ".join(f"NEW.{column}" for column in columns)

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(
            f"""
            CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO {document_table} ({key}, text)
              VALUES (NEW.id, alliance_search_vector({from_new}))
              ON CONFLICT ({key}) DO UPDATE SET text = EXCLUDED.text;
              RETURN NULL;
            END
            $$
            """
        )
        # Only writes that touch the text recompute the document: publishing
        # (an UPDATE of status) does not.
        schema_editor.execute(
            f"CREATE TRIGGER {function} AFTER INSERT OR UPDATE OF {listed} "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
        schema_editor.execute(
            f"INSERT INTO {document_table} ({key}, text) "
            f"SELECT id, alliance_search_vector({listed}) FROM {table} "
            f"ON CONFLICT ({key}) DO NOTHING"
        )
        schema_editor.execute(
            f"CREATE INDEX {document_table}_text ON {document_table} USING gin (text)"
        )
        # The planner's choice between the date index and the GIN index rests
        # on these statistics: gather them now rather than at the next autovacuum.
        schema_editor.execute(f"ANALYZE {document_table}")

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"DROP INDEX IF EXISTS {document_table}_text")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {function} ON {table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")

    return migrations.RunPython(forward, backward, elidable=False)


# --- The site search ---------------------------------------------------------


class Total(int):
    """A number of matches that may have been capped: it prints as "100+" then."""

    def __new__(cls, value, capped=False):
        number = super().__new__(cls, value)
        number.capped = capped
        return number

    def __str__(self):
        return f"{int(self)}+" if self.capped else str(int(self))


@dataclass
class Hit:
    """One result: where it is, and its title and summary with the terms marked."""

    url: str
    text: str
    title: str
    summary: str


@dataclass
class Kind:
    """One kind of result: its model, the route of its pages, its title field, what "newest" means."""

    key: str
    label: str
    model: object
    url_name: str
    title: str = "title"
    order: tuple = ("-updated_at", "-pk")

    def __post_init__(self):
        queryset = self.model.objects.all()
        self.title_columns = [
            column
            for name in queryset.search_title_fields
            for column in localized_columns(name)
        ]
        self.summary_columns = [
            column
            for name in queryset.search_summary_fields
            for column in localized_columns(name)
        ]

    def pool(self, query):
        """The slugs, titles and summaries of the newest POOL + 1 published matches, newest first.

        Only the columns the page shows are read: the ranking happens in
        Python on at most POOL + 1 rows, which is cheaper than a second query.
        """
        matches = self.model.objects.published().search(query).order_by(*self.order)
        columns = dict.fromkeys(["slug", *self.title_columns, *self.summary_columns])
        # The columns are named per language already: rewrite(False) spares each
        # row modeltranslation's fallback pass, which hits() does here.
        return list(matches.rewrite(False).values(*columns)[: POOL + 1])

    def rank(self, rows, terms):
        """The first PER_KIND rows: all terms in the title first, then in the summary, then newest."""
        title, summary, rest = [], [], []
        # The rows come newest first: once PER_KIND titles match, no later row can
        # come before them.
        for row in rows[:POOL]:
            if terms.all_in(row[column] for column in self.title_columns):
                title.append(row)
                if len(title) == PER_KIND:
                    break
            elif terms.all_in(row[column] for column in self.summary_columns):
                summary.append(row)
            else:
                rest.append(row)
        return (title + summary + rest)[:PER_KIND]

    def hits(self, rows, terms, languages):
        """The results for the rows, in the first of `languages` each row has text in."""
        # The addresses differ only in the slug, which needs no quoting: reverse once.
        placeholder = "slug-placeholder"
        address = reverse(self.url_name, kwargs={"slug": placeholder})
        titles = [build_localized_fieldname(self.title, code) for code in languages]
        summaries = [build_localized_fieldname("summary", code) for code in languages]
        hits = []
        for row in rows:
            title = first_of(row, titles)
            hits.append(
                Hit(
                    url=address.replace(placeholder, row["slug"]),
                    text=title,
                    title=terms.highlight(title),
                    summary=terms.highlight(shorten(first_of(row, summaries))),
                )
            )
        return hits


class Terms:
    """The terms of a query, to rank and mark up text the way the database matched it."""

    def __init__(self, terms):
        self.patterns = [re.compile(term_pattern(t), re.IGNORECASE) for t in terms]
        longest_first = sorted(terms, key=len, reverse=True)
        self.anywhere = re.compile(
            "|".join(term_pattern(t) for t in longest_first), re.IGNORECASE
        )

    def all_in(self, texts):
        """Whether every term is in one of the texts."""
        text = "\n".join(t for t in texts if t)
        return all(pattern.search(text) for pattern in self.patterns)

    def highlight(self, text):
        """Escape text and wrap in <mark> each place a term matches."""
        parts, last = [], 0
        for match in self.anywhere.finditer(text):
            parts.append(html.escape(text[last : match.start()]))
            parts.append(f"<mark>{html.escape(match.group(0))}</mark>")
            last = match.end()
        parts.append(html.escape(text[last:]))
        return mark_safe("".join(parts))


def first_of(row, columns):
    """The first of the columns with a value: a translated field with its fallbacks."""
    return next((row[column] for column in columns if row[column]), "")


def shorten(text, length=SUMMARY_LENGTH):
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


@dataclass
class Group:
    key: str
    label: str
    count: Total
    hits: list


@dataclass
class SiteSearch:
    """The search page's answer to a query: a group of results per kind, or an error."""

    raw_query: str
    kinds: InitVar[
        list
    ] = ()  # what to search, a `Kind` each (not kept with the answer)
    query: str = ""
    error: str = ""
    groups: list = field(default_factory=list)

    def __post_init__(self, kinds):
        self.query = CONTROL_CHARACTERS.sub(" ", self.raw_query or "").strip()
        self.query = " ".join(self.query.split())
        if not self.query:
            return
        if len(self.query) > MAX_LENGTH:
            self.error = _(
                "The search is too long: use at most %(max)d characters."
            ) % {"max": MAX_LENGTH}
            return
        terms = search_terms(self.query)
        if not terms:
            # Only punctuation or symbols: nothing can match, and nothing is asked.
            return
        terms = Terms(terms)
        # The current language first, then modeltranslation's fallbacks.
        languages = resolution_order(get_language() or settings.LANGUAGE_CODE)
        for kind in kinds:
            rows = kind.pool(self.query)
            if rows:
                count = Total(min(len(rows), POOL), capped=len(rows) > POOL)
                hits = kind.hits(kind.rank(rows, terms), terms, languages)
                self.groups.append(Group(kind.key, kind.label, count, hits))

    @property
    def total(self):
        return Total(
            sum(group.count for group in self.groups),
            capped=any(group.count.capped for group in self.groups),
        )
