"""The member import costs a fixed number of queries per row, however long the file.

Tiers, sectors and the file's existing members are read once per import.
What each new row still costs: its savepoint and release (a bad row is
rolled back alone, so the dry run can report every row), its INSERT, the
tombstone check of a newly published member, the sectors' INSERT and the
check before it, the member's `updated_at` touched by the sector change,
the record of a content change after the member's save and after its
sectors', and its first version (its row, its sectors' rows, the query
reading the sectors and the one simple-history makes for the untracked
columns).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tablib import Dataset

from members.models import Member
from members.resources import MemberResource
from tests.factories import MemberFactory, SectorFactory, TierFactory
from tests.helpers import members_xlsx

pytestmark = pytest.mark.django_db

NEW_ROW_BUDGET = 13
UNCHANGED_ROW_BUDGET = 3
FIXED_BUDGET = 10


def rows(prefix, count, sectors="navigation"):
    return [
        [f"{prefix}-{n}", f"Imported {n}", f"导入 {n}", "member", sectors, "CN", "published"]
        for n in range(1, count + 1)
    ]  # fmt: skip


def queries_to_import(rows, *, dry_run=False):
    dataset = Dataset().load(members_xlsx(rows), format="xlsx")
    with CaptureQueriesContext(connection) as queries:
        result = MemberResource().import_data(dataset, dry_run=dry_run)
    assert not result.has_errors() and not result.has_validation_errors()
    return len(queries), result


@pytest.fixture
def choices():
    TierFactory(slug="member")
    SectorFactory(slug="navigation")
    SectorFactory(slug="launch")


@pytest.mark.parametrize("dry_run", [False, True])
def test_new_members_cost_a_fixed_number_of_queries_per_row(choices, dry_run):
    at_20, result = queries_to_import(rows("small", 20), dry_run=dry_run)
    assert result.totals["new"] == 20
    at_200, result = queries_to_import(rows("large", 200), dry_run=dry_run)
    assert result.totals["new"] == 200
    # Rounded: a query made once per transaction (the webhook endpoints,
    # read once and kept until a rollback) may fall in either import.
    per_row = round((at_200 - at_20) / 180, 1)
    assert per_row <= NEW_ROW_BUDGET
    assert at_20 - 20 * per_row <= FIXED_BUDGET
    assert Member.objects.count() == (0 if dry_run else 220)
    assert Member.history.count() == (0 if dry_run else 220)


def test_an_unchanged_file_costs_a_fixed_number_of_queries_per_row(choices):
    queries_to_import(rows("again", 200))
    at_20, result = queries_to_import(rows("again", 20))
    assert result.totals["skip"] == 20
    at_200, result = queries_to_import(rows("again", 200))
    assert result.totals["skip"] == 200
    per_row = (at_200 - at_20) / 180
    assert per_row <= UNCHANGED_ROW_BUDGET
    assert at_20 - 20 * per_row <= FIXED_BUDGET


def test_a_slug_on_two_rows_is_created_by_the_first_and_updated_by_the_second(
    choices,
):
    twice = [*rows("twice", 1), *rows("twice", 1, sectors="launch")]
    twice[1][1] = "Renamed"
    _, result = queries_to_import(twice)
    assert (result.totals["new"], result.totals["update"]) == (1, 1)
    member = Member.objects.get(slug="twice-1")
    assert member.name_en == "Renamed"
    assert list(member.sectors.values_list("slug", flat=True)) == ["launch"]


def test_an_import_replaces_the_sectors_of_existing_members(choices):
    tier = TierFactory(slug="member")
    MemberFactory(
        slug="kept-1", tier=tier, sectors=[SectorFactory(slug="old")], country="CN"
    )
    _, result = queries_to_import(rows("kept", 1, sectors="launch; navigation"))
    assert result.totals["update"] == 1
    member = Member.objects.get(slug="kept-1")
    assert sorted(member.sectors.values_list("slug", flat=True)) == [
        "launch",
        "navigation",
    ]
    diff = dict(zip(result.diff_headers, result.rows[0].diff, strict=True))
    # The admin's diff of the row: the sectors before and after.
    assert ">old</del>" in diff["sectors"]
    assert ">launch;navigation</ins>" in diff["sectors"]


def test_an_unknown_tier_or_sector_is_reported_and_nothing_is_written(choices):
    bad = rows("bad", 3)
    bad[1][3] = "no-such-tier"
    bad[2][4] = "navigation;nowhere"
    dataset = Dataset().load(members_xlsx(bad), format="xlsx")
    result = MemberResource().import_data(dataset, dry_run=False)
    assert [(row.number, row.error_dict) for row in result.invalid_rows] == [
        (2, {"tier": ["Unknown membership tier “no-such-tier”."]}),
        (3, {"sectors": ["Unknown sector: “nowhere”."]}),
    ]
    assert Member.objects.count() == 0
