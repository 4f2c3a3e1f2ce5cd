"""The query shapes of the member portal."""

import pytest

from portal.models import Representative
from tests.factories import RepresentativeFactory

pytestmark = pytest.mark.django_db


def test_with_members_reads_the_member_and_its_tier_in_the_same_query(
    django_assert_num_queries,
):
    representative = RepresentativeFactory()
    RepresentativeFactory(member=representative.member)  # another person
    with django_assert_num_queries(1):
        (mine,) = Representative.objects.of_user(representative.user).with_members()
        assert mine.member.tier.name == representative.member.tier.name
