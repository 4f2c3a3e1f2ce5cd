"""Property-based tests of the join form, starting from a submission that is accepted.

Each example changes one field of valid data to arbitrary text, so every
field's validation is reached with all the others passing (random data for
all fields at once rarely gets past the first error).
"""

import pytest
from django.core import mail
from django.core.cache import cache
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from members.models import MembershipApplication
from tests.factories import SectorFactory, TierFactory

pytestmark = pytest.mark.django_db


def valid_data():
    return {
        "organization_name": "Orbit Start",
        "short_name": "Orbit",
        "website": "https://orbit.example",
        "country": "SG",
        "city": "Singapore",
        "sectors": ["navigation"],
        "tier_requested": "member",
        "capability": "Small satellite buses.\r\nAnd ground software.",
        "description": "A young company.",
        "contact_name": "Ada",
        "contact_email": "ada@orbit.example",
        "contact_phone": "+65 0000 0000",
        "message": "",
        "website_url_confirm": "",
    }


FIELDS = sorted(valid_data())

# Anything a browser can send: every character but lone surrogates, which UTF-8 cannot encode.
character = st.characters(codec="utf-8")
arbitrary_text = st.one_of(
    # Any characters, control characters and line breaks included.
    st.text(character, max_size=300),
    st.text(alphabet="\r\n\t\x00\x0b\x0c\x1b\x7f\x85\u2028\u2029 aZ能:@", max_size=40),
    # Text around a line break, the shape of a header injection.
    st.builds(
        "{}{}{}".format,
        st.text(character, max_size=20),
        st.sampled_from(["\r\n", "\n", "\r", "\x85", "\u2028", "\r\nBcc: x@y"]),
        st.text(character, max_size=20),
    ),
    # Far longer than any field allows.
    st.builds(lambda char, n: char * n, character, st.integers(200, 20_000)),
)


@pytest.fixture
def choices(db):
    # Function-scoped: built once per test, shared by all of its examples.
    SectorFactory(slug="navigation")
    TierFactory(slug="member")


@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=list(HealthCheck)
)
@given(field=st.sampled_from(FIELDS), value=arbitrary_text)
@example(field="organization_name", value="Evil Org\r\nBcc: x@y")
@example(field="organization_name", value="Evil Org\u2028Bcc: x@y")
@example(field="contact_name", value="Ada\nBcc: x@y")
@example(field="capability", value="x" * 100_000)
def test_changing_one_field_of_a_valid_application_is_accepted_or_refused_cleanly(
    client, choices, django_capture_on_commit_callbacks, settings, field, value
):
    settings.MEMBERSHIP_NOTIFY_EMAILS = ["managers@alliance.example"]
    cache.clear()  # stay under the rate limit
    mail.outbox.clear()
    MembershipApplication.objects.all().delete()
    data = {**valid_data(), field: value}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/members/join/", data)

    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 302:
        assert response["Location"] == "/members/join/thanks/"
        assert MembershipApplication.objects.count() == 1
        # The managers' notice and the applicant's receipt.
        assert len(mail.outbox) == 2
        for message in mail.outbox:
            assert "\n" not in message.subject and "\r" not in message.subject
    else:
        assert field in response.context["form"].errors
        assert MembershipApplication.objects.count() == 0
        assert mail.outbox == []


def test_the_unchanged_valid_data_is_accepted(client, choices):
    response = client.post("/members/join/", valid_data())
    assert response.status_code == 302
    assert MembershipApplication.objects.get().sectors.get().slug == "navigation"
