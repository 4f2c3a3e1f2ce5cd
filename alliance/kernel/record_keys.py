"""What an answer shows, record by record: the surrogate keys of a caching proxy.

The keys of a public model (named by its label, `news.article`):

- a record's key, `news.article-42`: on the answers that show that record
  (its page, its API item, the rows of a list, and what a page shows in
  passing: the tags and members on an article's page);
- its list key, `news.article-list`: on the answers that list its records
  (a list page, an API list), which a record created or deleted could join
  or leave;
- a column's key, `news.article-by-published_at`: on the answers that
  choose or order its records by that column, which a record whose value
  changes could join, leave or move in;
- its neighbours' key, `news.article-neighbours`, for a model that declares
  the order its pages link along (`neighbours.NeighbourOrder`): on the
  answers that show a record's previous and next ones (an article's page),
  which name those records and the record they are beside, and neither the
  list nor its columns;
- its model key, `news.article`: on the answers that read it in a way not
  named row by row (a count, `values()`, a filter across a join, raw SQL),
  or whose records are too many to name (`MAX_RECORD_KEYS`).

A change (`changes.content_changed`) purges the model key and the key of
each record written; creating or deleting one also purges the list key,
and editing one the keys of the columns it changed (all of them when which
is not known: a bulk update). The records whose answers show a changed one
in passing (its parents, the records it links to, those that nest its
summary) have their keys purged too. A record created, deleted or moved in
its model's neighbour order (a new publish time, published or withdrawn)
purges the keys of the records next to it there, where it was and where it
is (`neighbours.keys_beside`): their pages' previous and next links. Only a
change not known record by record (more than a few rows published at once,
`model_keys`) purges the neighbours' key, every such page. Editing an
article's text thus drops its page, its API item and the pages that show
it; publishing one, its page, the lists, and the pages of the two articles
beside it (and of the two beside those, which show them in passing), not
every page that read an article.

The keys are collected while a request runs (`collecting`), from the
queries that it runs, on every database, by wrapping Django's
`ModelIterable` (the queries that load model instances):

- A query bounded to named records, by a unique field (`slug=...`,
  `pk__in=[...]`) or as the children of named records (`article.tags`, a
  prefetch: a foreign key `__in=[...]`), names the records it loaded, those
  loaded with them (`select_related`), and for children their parents (a
  child added, changed or withdrawn purges its parents' keys). Asked for a
  unique value it did not find, it is named as a list (the record may come).
- A query of a record's neighbours, as its model's order builds it
  (`as_neighbours`), names the records it loaded, the record they are
  beside and the neighbours' key.
- Any other model query names the list, the columns it filters and orders
  by, and the records it loaded.
- The tables a query reads otherwise (joins it filters through, subqueries)
  and every other query (a count, `values()`, raw SQL) name models' keys.

A query is named by its SQL and its parsed form, not by the code that runs
it, so what is not understood is named by its tables: the keys can be too
many, never too few. Parts kept in the cache (`response_cache.remember`)
run no query when they are served again: the keys collected while they
were worked out are kept with them (`collected`) and named again on every
answer they go into.
"""

import contextlib
import contextvars
import functools
import re
import uuid
from collections import Counter

from django.apps import apps
from django.db import connections, models
from django.db.models.expressions import Col, RawSQL
from django.db.models.lookups import Exact, In
from django.db.models.query import ModelIterable
from django.db.models.sql.where import AND, ExtraWhere

# Record keys on one answer at most; past it, models' keys stand in for
# their records' (the most numerous first), so the header stays short.
MAX_RECORD_KEYS = 64
# Table names as Django's SQL quotes them after FROM and JOIN.
TABLE_READ = re.compile(r'\b(?:FROM|JOIN)\s+"(\w+)"', re.IGNORECASE)
# Depth of the objects loaded along with a record (`select_related`) that count.
RELATED_DEPTH = 3

LITERALS = (int, str, uuid.UUID)


def label(model):
    return model._meta.concrete_model._meta.label_lower


@functools.cache
def is_public(model):
    """Whether the public sees this model's rows: a model of a public-content
    app that is not private, or a model that says it is (tombstones)."""
    if model._meta.auto_created:
        # A many-to-many link table: public with the model that has it.
        model = model._meta.auto_created
    own = model.__dict__.get("public_content")
    if own is not None:
        return bool(own)
    app_config = apps.get_app_config(model._meta.app_label)
    return getattr(app_config, "public_content", False) and not getattr(
        model, "private_content", False
    )


@functools.cache
def public_tables():
    """Table name -> model, for every public model and its link tables."""
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not is_public(model):
            continue
        tables[model._meta.db_table] = model
    return tables


@functools.cache
def is_link(model):
    """Whether the model is a many-to-many link table (its own or a declared `through`)."""
    if model._meta.auto_created:
        return True
    return any(
        field.remote_field.through is model
        for other in apps.get_models()
        for field in other._meta.local_many_to_many
    )


# --- What a change purges ----------------------------------------------------


def columns_of(model):
    return [field.column for field in model._meta.concrete_fields]


def has_neighbours(model):
    """Whether `model` declares an order its records' pages link along (`neighbours`)."""
    return getattr(model, "neighbour_order", None) is not None


def model_keys(model, *, beside=True):
    """Every answer that shows anything of `model`: what a change not known row by
    row purges. Without `beside`, not the pages that show its records' neighbours
    (for a change that purges the records next to those it moved)."""
    if not is_public(model):
        return set()
    name = label(model)
    return {
        name,
        f"{name}-list",
        *(f"{name}-by-{column}" for column in columns_of(model)),
        *([f"{name}-neighbours"] if beside and has_neighbours(model) else []),
    }


def record_keys(model, pk, *, listed=False, columns=()):
    """What a change of one record purges: its key and its model's; the list key
    when it was created or deleted (`listed`), and the keys of the `columns`
    it changed."""
    if pk is None or not is_public(model):
        return set()
    name = label(model)
    return {
        name,
        f"{name}-{pk}",
        *([f"{name}-list"] if listed else []),
        *(f"{name}-by-{column}" for column in columns),
    }


def column_keys(model, names):
    """The keys of the lists that choose or order `model`'s records by these
    fields (by name), for a change that writes them with `update()`."""
    if not is_public(model):
        return set()
    fields = {field.name: field for field in model._meta.concrete_fields}
    return {
        f"{label(model)}-by-{fields[name].column}" for name in names if name in fields
    }


def stored_values(instance):
    """The stored values of a record's columns, read before it is saved (None: not stored)."""
    model = type(instance)
    if instance._state.adding or instance.pk is None:
        return None
    names = [field.attname for field in model._meta.concrete_fields]
    return (
        model._base_manager.using(instance._state.db)
        .filter(pk=instance.pk)
        .values(*names)
        .first()
    )


def changed_columns(instance, before):
    """The columns whose values a save changed, from `stored_values` (None: all)."""
    model = type(instance)
    if before is None:
        return columns_of(model)
    # Through __dict__: a translated field's descriptor would read the active
    # language's column; a field not loaded (deferred) is not saved.
    values = instance.__dict__
    return [
        field.column
        for field in model._meta.concrete_fields
        if field.attname in values
        and before.get(field.attname) != values[field.attname]
    ]


# --- What the running answer shows -----------------------------------------


class Shown:
    """The records, lists and models an answer shows, as collected so far."""

    def __init__(self):
        self.records = {}  # label -> set of primary keys (strings)
        self.lists = set()  # labels
        self.columns = set()  # (label, column)
        self.models = set()  # labels
        self.neighbours = set()  # labels of models whose neighbours it shows
        # While a model query runs its SQL: the tables it read.
        self.capture = None

    def add_record(self, model, pk):
        if pk is not None:
            self.records.setdefault(label(model), set()).add(str(pk))

    def add_tables(self, tables):
        """Name the models of these tables as a whole."""
        known = public_tables()
        for table in tables:
            model = known.get(table)
            if model is not None:
                self.models.add(label(model))

    def add_list(self, model, columns):
        """Name a list of `model`'s records, chosen and ordered by `columns`."""
        if is_public(model):
            name = label(model)
            self.lists.add(name)
            self.columns.update((name, column) for column in columns)

    def add_neighbours(self, model, pk):
        """Name the records beside `model`'s record `pk` (already named one by one)."""
        if is_public(model):
            self.add_record(model, pk)
            self.neighbours.add(label(model))

    def read(self, sql):
        tables = TABLE_READ.findall(sql)
        if self.capture is not None:
            self.capture.extend(tables)
        else:
            self.add_tables(tables)

    def merge(self, state):
        # Parts kept before the neighbours were named have four items.
        records, lists, columns, models_, *neighbours = state
        for name, pks in records.items():
            self.records.setdefault(name, set()).update(pks)
        self.lists.update(lists)
        self.columns.update(columns)
        self.models.update(models_)
        self.neighbours.update(*neighbours)

    def state(self):
        """A plain copy to keep in the cache beside a part worked out once."""
        return (
            {name: tuple(sorted(pks)) for name, pks in self.records.items()},
            tuple(sorted(self.lists)),
            tuple(sorted(self.columns)),
            tuple(sorted(self.models)),
            tuple(sorted(self.neighbours)),
        )

    def keys(self, limit=MAX_RECORD_KEYS):
        """The surrogate keys, record keys capped at `limit` (models' keys stand in past it)."""
        models_ = set(self.models)
        # A model's key covers its records: their keys are not needed.
        records = {
            name: pks
            for name, pks in self.records.items()
            if pks and name not in models_
        }
        for name in sorted(records, key=lambda name: -len(records[name])):
            if sum(len(pks) for pks in records.values()) <= limit:
                break
            models_.add(name)
            del records[name]
        return [
            *sorted(models_),
            *sorted(f"{name}-list" for name in self.lists),
            *sorted(f"{name}-by-{column}" for name, column in self.columns),
            *sorted(f"{name}-neighbours" for name in self.neighbours),
            *sorted(f"{name}-{pk}" for name, pks in records.items() for pk in pks),
        ]


_shown = contextvars.ContextVar("record_keys_shown", default=None)


@contextlib.contextmanager
def collecting():
    """Collect what the queries of the block show, on every database; yield the `Shown`."""
    shown = Shown()
    token = _shown.set(shown)

    def record(execute, sql, params, many, context):
        current = _shown.get()
        if current is not None:
            current.read(sql)
        return execute(sql, params, many, context)

    try:
        with contextlib.ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(record))
            yield shown
    finally:
        _shown.reset(token)


@contextlib.contextmanager
def collected():
    """Collect what the block shows apart, and add it to the answer's too.

    Yield a list that holds, once the block is done, the state to keep with
    what it worked out (`shown_again` names it on a later answer); empty
    when nothing is being collected.
    """
    outer = _shown.get()
    result = []
    if outer is None:
        yield result
        return
    inner = Shown()
    token = _shown.set(inner)
    try:
        yield result
    finally:
        _shown.reset(token)
        state = inner.state()
        outer.merge(state)
        result.append(state)


def shown(model, pks):
    """Name, on the answer being collected, records it shows that were read by
    hand (inside `not_shown`: a query whose rows the caller knows)."""
    current = _shown.get()
    if current is not None and is_public(model):
        for pk in pks:
            current.add_record(model, pk)


def shown_again(state):
    """Name, on the answer being collected, what a part kept in the cache showed."""
    shown = _shown.get()
    if shown is not None and state:
        shown.merge(state)


@contextlib.contextmanager
def not_shown():
    """Leave out what the block reads (figures every answer states, not content)."""
    token = _shown.set(None)
    try:
        yield
    finally:
        _shown.reset(token)


# --- Model queries ----------------------------------------------------------


def _literals(rhs):
    if isinstance(rhs, models.Model):
        rhs = rhs.pk
    if isinstance(rhs, tuple) and len(rhs) == 1:
        rhs = rhs[0]
    if isinstance(rhs, LITERALS):
        return [rhs]
    if isinstance(rhs, (list, tuple, set, frozenset)):
        values = []
        for value in rhs:
            found = _literals(value)
            if found is None or len(found) != 1:
                return None
            values.extend(found)
        return values
    return None


def bound(query, model):
    """How a query of `model` is bounded to named records, or None.

    ("unique", model, values, None): by a unique field of its own table;
    ("children", parent model, values, link alias or None): as the records
    whose foreign key (on its own table, or on a link table joined to it)
    is one of `values`.
    """
    where = query.where
    if where.negated or where.connector != AND:
        return None
    concrete = model._meta.concrete_model
    for child in where.children:
        if not isinstance(child, (Exact, In)) or not isinstance(child.lhs, Col):
            continue
        values = _literals(child.rhs)
        if not values or len(values) > MAX_RECORD_KEYS:
            continue
        field = child.lhs.target
        owner = field.model._meta.concrete_model
        on_base = child.lhs.alias == query.base_table and owner is concrete
        if on_base and (field.primary_key or field.unique):
            return ("unique", model, set(values), None)
        if not (field.many_to_one or field.one_to_one):
            continue
        parent = field.related_model
        if on_base:
            return ("children", parent, set(values), None)
        if is_link(owner) and any(
            other.related_model is concrete
            for other in owner._meta.concrete_fields
            if other.many_to_one and other is not field
        ):
            return ("children", parent, set(values), child.lhs.alias)
    return None


def _loaded(obj, found, depth=0):
    """Add `obj` and what was loaded along with it (select_related) to `found`."""
    found.setdefault(type(obj)._meta.concrete_model, set()).add(obj.pk)
    if depth >= RELATED_DEPTH:
        return
    for related in obj._state.fields_cache.values():
        if isinstance(related, models.Model):
            _loaded(related, found, depth + 1)


class NotUnderstood(Exception):
    """A query whose parts this module cannot tell apart: named by its tables."""


def _cols(expression, found):
    """Add the columns (Col) an expression reads to `found`; raise NotUnderstood on raw SQL."""
    if isinstance(expression, Col):
        found.append(expression)
        return
    if isinstance(expression, (RawSQL, ExtraWhere)):
        raise NotUnderstood
    if hasattr(expression, "children"):  # WhereNode
        for child in expression.children:
            _cols(child, found)
        return
    if isinstance(expression, models.Model) or not hasattr(
        expression, "get_source_expressions"
    ):
        return
    for source in expression.get_source_expressions():
        if source is not None:
            _cols(source, found)


def columns_filtered(queryset):
    """The columns of its model's table that a queryset's filter reads; None when
    it reads another table too, or raw SQL."""
    query = queryset.query
    table = queryset.model._meta.db_table
    cols = []
    try:
        _cols(query.where, cols)
    except NotUnderstood:
        return None
    if set(query.alias_map) - {table} or any(col.alias != table for col in cols):
        return None
    return {col.target.column for col in cols}


def _ordering_columns(query, model):
    """The columns of the base table that the query's ordering reads, and the
    tables of the relations it orders across."""
    ordering = query.order_by or (
        () if not query.default_ordering else model._meta.ordering
    )
    columns, across = set(), set()
    for item in ordering:
        if hasattr(item, "resolve_expression"):
            names = []
            _f_names(item, names)
        elif isinstance(item, str):
            names = [item.lstrip("-+")]
        else:
            raise NotUnderstood
        for name in names:
            if name == "?":
                continue
            if name in query.annotations:
                continue  # read with the annotations
            opts = model._meta
            for depth, part in enumerate(name.split("__")):
                field = opts.pk if part == "pk" else opts.get_field(part)
                if depth == 0 and getattr(field, "column", None):
                    columns.add(field.column)
                if not field.is_relation:
                    break
                opts = field.related_model._meta
                across.add(opts.db_table)
                if field.many_to_many or field.one_to_many:
                    raise NotUnderstood
    if query.extra_order_by or query.extra:
        raise NotUnderstood
    return columns, across


def _f_names(expression, names):
    from django.db.models import F

    if isinstance(expression, F):
        names.append(expression.name)
        return
    if isinstance(expression, Col):
        names.append(expression.target.name)
        return
    for source in expression.get_source_expressions():
        if source is not None:
            _f_names(source, names)


def _analyse(query, model, sql_tables, bounding_alias=None):
    """What a model query reads: (the base table's columns it chooses and orders
    by, the tables it reads as a whole, the tables it joins only to load what
    goes with each row (select_related)). `bounding_alias` is the link table
    that bounds it to the children of named records (`bound`).
    """
    base = query.base_table
    cols = []
    _cols(query.where, cols)
    cols = [col for col in cols if col.alias != bounding_alias]
    for annotation in query.annotations.values():
        _cols(annotation, cols)
    order_columns, order_tables = _ordering_columns(query, model)
    base_columns = {col.target.column for col in cols if col.alias == base}
    base_columns |= order_columns
    # The aliases a filter or an annotation reads, every join a filter made
    # (select_related's have no references), and the joins that lead to
    # them: read as a whole.
    reading = {col.alias for col in cols} | {
        alias for alias in query.alias_map if query.alias_refcount.get(alias)
    }
    reading -= {base, bounding_alias}
    for alias in list(reading):
        while alias in query.alias_map and alias != base:
            join = query.alias_map[alias]
            reading.add(alias)
            parent = getattr(join, "parent_alias", None)
            if parent == base:
                base_columns.update(lhs for lhs, _rhs in join.join_cols)
            alias = parent
    whole = {query.alias_map[alias].table_name for alias in reading}
    # Tables read more often than the joins say: subqueries, read as a whole.
    # (A select_related join has no references, but it is in the SQL.)
    expected = Counter(join.table_name for join in query.alias_map.values())
    counts = Counter(sql_tables)
    whole |= {table for table, count in counts.items() if count > expected[table]}
    return base_columns, whole, order_tables


def as_neighbours(queryset, anchor):
    """Mark a query of the records beside `anchor` in its model's neighbour order.

    For `neighbours` alone, on a query it built whole: answered, it names the
    records it loaded and `anchor` (and the relation's key), not its list or
    columns, for a change that moves a record purges the records beside it.
    A filter or an order added later undoes the mark (`beside`).
    """
    queryset = queryset.all()
    query = queryset.query
    query.neighbours_of = (
        type(anchor)._meta.concrete_model,
        anchor.pk,
        len(query.where.children),
        tuple(query.order_by),
    )
    return queryset


def beside(query):
    """The (model, primary key) whose neighbours a query finds, as `as_neighbours`
    marked it and nothing since changed what it chooses; else None."""
    mark = getattr(query, "neighbours_of", None)
    if mark is None:
        return None
    model, pk, size, order_by = mark
    where = query.where
    if (
        where.negated
        or where.connector != AND
        or len(where.children) != size
        or tuple(query.order_by) != order_by
        or query.combinator
        or query.extra
    ):
        return None
    return model, pk


def settle(shown, model, query, tables, found):
    """Name what a model query showed (see the module's docstring): `tables` are
    those its SQL read, `found` the records it loaded by model (None: too many)."""
    try:
        if query is None or found is None:
            raise NotUnderstood
        neighbours_of = beside(query)
        limits = None if neighbours_of else bound(query, model)
        base_columns, whole, order_tables = _analyse(
            query, model, tables, limits[3] if limits else None
        )
    except (NotUnderstood, LookupError, AttributeError, TypeError, ValueError):
        shown.add_tables(tables)
        return
    base_table = model._meta.db_table
    loaded_models = {
        table
        for loaded_model in found
        for table in (
            loaded_model._meta.db_table,
            *(parent._meta.db_table for parent in loaded_model._meta.get_parent_list()),
        )
    }
    # Joined only to load what goes with each row (select_related): the row
    # names it, by its own key (a foreign key it holds) or by the child's
    # save, which purges its parents' keys. Ordered by what they hold: a
    # list's order changes with rows it does not show; named records', with
    # the loaded ones.
    if limits is None:
        whole |= order_tables
    else:
        whole |= order_tables - loaded_models
    shown.add_tables(whole)
    for loaded_model, pks in found.items():
        for pk in pks:
            shown.add_record(loaded_model, pk)
    if base_table in whole:
        return
    if neighbours_of is not None:
        shown.add_neighbours(*neighbours_of)
        return
    if limits is None:
        shown.add_list(model, base_columns)
        return
    kind, limited, values, _alias = limits
    if kind == "unique":
        if len(found.get(limited._meta.concrete_model, ())) < len(values):
            # A value not found yet: the record may come.
            shown.add_list(model, base_columns)
    elif is_public(limited):
        for value in values:
            shown.add_record(limited, value)
    else:
        # Children of records the proxy is never told about: a list.
        shown.add_list(model, base_columns)


_END = object()
_plain_iter = ModelIterable.__iter__


def _iter_naming_records(self):
    shown = _shown.get()
    if shown is None:
        yield from _plain_iter(self)
        return
    queryset = self.queryset
    query = queryset.query
    rows = _plain_iter(self)
    tables = []
    shown.capture = tables
    try:
        obj = next(rows, _END)
    finally:
        shown.capture = None
    found = {}
    try:
        while obj is not _END:
            if found is not None:
                _loaded(obj, found)
                if sum(len(pks) for pks in found.values()) > MAX_RECORD_KEYS:
                    found = None  # too many to name: the models stand in
            yield obj
            obj = next(rows, _END)
    finally:
        if obj is not _END:
            # Not read to the end: what it would have shown is unknown.
            query = None
        settle(shown, queryset.model, query, tables, found)


def install():
    """Name the records that model queries load (once, at start-up)."""
    if ModelIterable.__iter__ is not _iter_naming_records:
        ModelIterable.__iter__ = _iter_naming_records
