"""The order a model's pages link along: each record's previous and next ones.

A model whose page links to the records listed before and after it (an
article's newer and older ones) declares that order once, as its
`neighbour_order`:

    neighbour_order = NeighbourOrder(["-published_at", "-pk"], within="published")

- `ordering`: the fields of the order, as `order_by` takes them; none may be
  null, and the last one is unique (the tie-breaker: at equal times, the
  higher key first), so that every record has one place;
- `within`: the queryset method that chooses the records listed (the public
  ones), called with `now`;
- `partition`: fields whose values list records apart (a language, say): a
  record's neighbours share its values of them.

Its queries (`after`, `before`: the model's queryset methods call them)
find a record's neighbours, the nearest first. On an answer they name only
the records they loaded and the record they are beside, and the order's key
(`news.article-neighbours`); not the list, nor the columns it orders by
(`record_keys.as_neighbours`). So each change names the pages whose links it
changes: a record created, deleted, or changed in a column that places it
(its order's fields, its partition's, those `within` reads) purges the keys
of the records next to it before the change and after it (`keys_beside`;
`changes` reads both around each save and deletion). A record with no
neighbour on one side is purged the same way when one comes: it is next to
the newcomer. A record the clock makes public (a scheduled article) purges
its neighbours at that moment (`proxy_cache.purge_when_due`). A change not
made record by record (a bulk publish) purges the order's key, which every
page that links along the order carries.
"""

import functools
import operator

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property

from alliance.kernel import record_keys

ATTRIBUTE = "neighbour_order"
# A bulk change of more records than this purges every page that links along
# the order, rather than looking up each record's neighbours (three queries).
MOST_LOOKED_UP = 20


class NeighbourOrder:
    """A model's order of neighbours (see the module's docstring)."""

    def __init__(self, ordering, *, within=None, partition=()):
        self.ordering = tuple(ordering)
        self.within = within
        self.partition = tuple(partition)
        self.model = None

    def contribute_to_class(self, cls, name):
        if name != ATTRIBUTE:
            raise ImproperlyConfigured(
                f"{cls.__name__}.{name}: a neighbour order is named {ATTRIBUTE}."
            )
        self.model = cls
        setattr(cls, name, self)

    @cached_property
    def _fields(self):
        """(field, descending) for each field of the order."""
        opts = self.model._meta
        fields = []
        for name in self.ordering:
            bare = name.removeprefix("-")
            field = opts.pk if bare == "pk" else opts.get_field(bare)
            fields.append((field, name.startswith("-")))
        last = fields[-1][0] if fields else None
        if last is None or not (last.primary_key or last.unique):
            raise ImproperlyConfigured(
                f"{self.model.__name__}'s neighbour order ends with a unique field."
            )
        return fields

    @cached_property
    def _partition_fields(self):
        return [self.model._meta.get_field(name) for name in self.partition]

    @cached_property
    def _names(self):
        """The columns' attribute names that place a record: the order's and the partition's."""
        fields = [field for field, _descending in self._fields]
        return [field.attname for field in (*fields, *self._partition_fields)]

    @cached_property
    def columns(self):
        """The columns whose change can move a record: the order's, the partition's,
        and those `within` reads (None: any, when it reads more than its table)."""
        chosen = record_keys.columns_filtered(self.listed())
        if chosen is None:
            return None
        fields = [field for field, _descending in self._fields]
        return chosen | {field.column for field in (*fields, *self._partition_fields)}

    def listed(self, queryset=None, now=None):
        """The records in the order (`within`), of `queryset` or the whole model."""
        if queryset is None:
            queryset = self.model._default_manager.all()
        if self.within is None:
            return queryset
        return getattr(queryset, self.within)(now=now)

    def _following(self, listed, values, backwards=False):
        """The records of `listed` after the place `values` (before it: `backwards`),
        the nearest first."""
        later, equal, ordering = [], {}, []
        for field, descending in self._fields:
            down = descending != backwards
            value = values[field.attname]
            later.append(
                Q(**equal, **{f"{field.attname}__{'lt' if down else 'gt'}": value})
            )
            equal[field.attname] = value
            ordering.append(f"-{field.attname}" if down else field.attname)
        first, descending = self._fields[0]
        down = descending != backwards
        bound = {f"{first.attname}__{'lte' if down else 'gte'}": values[first.attname]}
        same = {
            field.attname: values[field.attname] for field in self._partition_fields
        }
        # The first field's bound alone lets an index on it serve the query.
        return (
            listed.filter(**bound, **same)
            .filter(functools.reduce(operator.or_, later))
            .order_by(*ordering)
        )

    def _beside(self, queryset, obj, backwards):
        values = {name: getattr(obj, name) for name in self._names}
        found = self._following(self.listed(queryset), values, backwards)
        if queryset.query.where:
            # Chosen by more than the order (a filter of the caller's): a list.
            return found
        return record_keys.as_neighbours(found, obj)

    def after(self, queryset, obj):
        """The records of `queryset` listed after `obj`, the nearest first."""
        return self._beside(queryset, obj, backwards=False)

    def before(self, queryset, obj):
        """The records of `queryset` listed before `obj`, the nearest first."""
        return self._beside(queryset, obj, backwards=True)

    def pks_beside(self, pk, *, now=None, using=None):
        """The primary keys of the records next to record `pk`, on either side, as
        stored (none when it is not listed). Three queries."""
        listed = self.listed(self.model._default_manager.using(using).all(), now=now)
        with record_keys.not_shown():
            values = listed.filter(pk=pk).values(*self._names).first()
            if values is None:
                return set()
            found = (
                self._following(listed, values, backwards)
                .values_list("pk", flat=True)
                .first()
                for backwards in (False, True)
            )
            return {other for other in found if other is not None}


def order_of(model):
    return getattr(model, ATTRIBUTE, None)


def moves(model, columns):
    """Whether changing these columns of a record can move it in its model's order."""
    order = order_of(model)
    if order is None:
        return False
    return order.columns is None or not order.columns.isdisjoint(columns)


def keys_beside(model, pk, *, now=None, using=None):
    """The keys of the records next to record `pk` in its model's order (as
    stored, or as public at `now`): what its arrival or departure there
    changes (their previous and next links)."""
    order = order_of(model)
    if order is None or pk is None or not record_keys.is_public(model):
        return set()
    keys = set()
    for other in order.pks_beside(pk, now=now, using=using):
        keys |= record_keys.record_keys(model, other)
    return keys


def keys_beside_later(model, pk, *, using=None):
    """`keys_beside`, and for a record the clock makes public later (at its
    `publish_time_field`: a scheduled article), the records next to it then.

    Their pages, purged now, are kept no longer than that moment
    (`response_cache.seconds_to_live`), so they show it in time even if the
    purge due then (`proxy_cache.purge_when_due`) is late or never runs.
    """
    keys = keys_beside(model, pk, using=using)
    field = getattr(model, "publish_time_field", None)
    if field and order_of(model) is not None:
        with record_keys.not_shown():
            moment = (
                model._base_manager.using(using)
                .filter(pk=pk)
                .values_list(field, flat=True)
                .first()
            )
        if moment is not None and moment > timezone.now():
            keys |= keys_beside(model, pk, now=moment, using=using)
    return keys


def keys_beside_each(model, pks, *, later=False):
    """`keys_beside` (`keys_beside_later`) for each of the records `pks`, or None
    when they are more than `MOST_LOOKED_UP` (the order's key stands in: every
    page along it)."""
    if len(pks) > MOST_LOOKED_UP:
        return None
    look = keys_beside_later if later else keys_beside
    keys = set()
    for pk in pks:
        keys |= look(model, pk)
    return keys


def bulk_keys(model, pks, beside):
    """What a bulk change of records `pks` of `model` purges: each record's keys,
    every list and column of the model, and the records next to them in its
    order (`beside`, from `keys_beside_each`), or, None, every page that links
    along it."""
    keys = record_keys.model_keys(model, beside=beside is None)
    for pk in pks:
        keys |= record_keys.record_keys(model, pk)
    return keys | (beside or set())
