""" "Published" is stated once per model: the SQL and the Python rule agree on every row.

For every public model (each Publishable subclass in the app registry), a
grid of rows: draft and published, and where the model has a publish time,
that time in the past, at this very moment and in the future. Whatever
`published()` selects, `is_published` says of the same rows, and so do
`scheduled()` and `is_scheduled`, `unpublished()` and `drafts()`.
"""

import datetime
import itertools

import pytest
import time_machine

from alliance.kernel.publishing import Status, if_published
from tests.helpers import factory_of, public_models

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2030, 6, 1, 12, 0, tzinfo=datetime.UTC)
MOMENTS = {
    "past": NOW - datetime.timedelta(days=3),
    "now": NOW,
    "soon": NOW + datetime.timedelta(seconds=1),
    "future": NOW + datetime.timedelta(days=3),
}


def grid(model):
    """One row for each state the rule distinguishes; their pks by name."""
    factory = factory_of(model)
    times = MOMENTS if model.publish_time_field else {"": None}
    rows = {}
    for status, (when, moment) in itertools.product(Status.values, times.items()):
        extra = {model.publish_time_field: moment} if moment else {}
        rows[f"{status} {when}".strip()] = factory(status=status, **extra).pk
    return rows


@pytest.mark.parametrize(
    "model", public_models(), ids=lambda model: model._meta.label_lower
)
def test_published_in_sql_and_in_python_agree(model):
    with time_machine.travel(NOW, tick=False):
        rows = grid(model)
        names = {pk: name for name, pk in rows.items()}
        objects = list(model.objects.filter(pk__in=rows.values()))

        def by_sql(queryset):
            return {names[pk] for pk in queryset.values_list("pk", flat=True)}

        def by_python(test):
            return {names[obj.pk] for obj in objects if test(obj)}

        mine = model.objects.filter(pk__in=rows.values())
        published = by_sql(mine.published())
        assert published == by_python(lambda obj: obj.is_published)
        assert by_sql(mine.filter(model.published_condition())) == published
        assert by_sql(mine.unpublished()) == set(rows) - published
        scheduled = by_sql(mine.scheduled())
        assert scheduled == by_python(lambda obj: obj.is_scheduled)
        assert by_sql(mine.drafts()) == set(rows) - published - scheduled
        assert by_python(lambda obj: if_published(obj) is obj) == published
    # What the grid pins, said plainly.
    if model.publish_time_field:
        assert published == {"published past", "published now"}
        assert scheduled == {"published soon", "published future"}
        assert model.objects.next_publish_time(NOW) == MOMENTS["soon"]
    else:
        assert published == {"published"}
        assert scheduled == set()
        assert model.objects.next_publish_time(NOW) is None


@pytest.mark.parametrize(
    "model",
    [model for model in public_models() if model.publish_time_field],
    ids=lambda model: model._meta.label_lower,
)
def test_a_scheduled_row_becomes_published_when_its_time_comes(model):
    with time_machine.travel(NOW, tick=False):
        rows = grid(model)
    later = NOW + datetime.timedelta(days=4)
    with time_machine.travel(later, tick=False):
        obj = model.objects.get(pk=rows["published future"])
        assert obj.is_published and not obj.is_scheduled
        assert model.objects.published().filter(pk=obj.pk).exists()
        assert not model.objects.scheduled().exists()
