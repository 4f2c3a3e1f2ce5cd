"""The member portal as representatives use it, through the test client."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.storage import storages
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from members.models import Member
from portal.models import ChangeRequest, RequestKind, RequestStatus
from tests.factories import (
    ArticleFactory,
    ChangeRequestFactory,
    MemberFactory,
    MembershipApplicationFactory,
    RepresentativeFactory,
    ScenarioParticipationFactory,
    SectorFactory,
)
from tests.helpers import assert_valid_html, form_data, png_upload, refuse_inserts

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-password-for-tests"

# Every portal route: its arguments, and whether an anonymous visitor may open it.
ROUTES = {
    "portal:home": ({}, False),
    "portal:login": ({}, True),
    "portal:logout": ({}, True),
    "portal:password-reset": ({}, True),
    "portal:password-reset-sent": ({}, True),
    "portal:set-password": ({"uidb64": "MQ", "token": "abc-def"}, True),
    "portal:set-password-done": ({}, True),
    "portal:two-factor": ({}, False),
    "portal:change-request": ({"slug": "acme"}, False),
    "portal:proposed-logo": ({"slug": "acme"}, False),
    "portal:verify": ({"slug": "acme"}, False),
    "portal:withdraw": ({"slug": "acme"}, False),
}


def portal_route_names():
    resolver = get_resolver()
    for pattern in resolver.url_patterns:
        for inner in getattr(pattern, "url_patterns", []):
            if getattr(inner, "namespace", None) == "portal":
                yield from (f"portal:{p.name}" for p in inner.url_patterns)


@pytest.fixture
def acme():
    return MemberFactory(slug="acme", name="Acme Orbital", summary="Launches.")


@pytest.fixture
def representative(acme):
    return RepresentativeFactory(member=acme, user__email="rep@acme.example")


@pytest.fixture
def rep_client(representative):
    client = Client()
    client.force_login(representative.user)
    return client


@pytest.fixture
def other_client():
    other = RepresentativeFactory(member__slug="rival")
    client = Client()
    client.force_login(other.user)
    return client


def test_every_portal_route_is_listed_here():
    assert set(portal_route_names()) == set(ROUTES)


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_an_anonymous_visitor_is_sent_to_sign_in(client, acme, name):
    kwargs, public = ROUTES[name]
    url = reverse(name, kwargs=kwargs)
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        if public:
            assert response.status_code in (200, 302, 400, 405), (method, url)
            if response.status_code == 302:
                assert not response["Location"].startswith(
                    reverse("portal:home") + "members/"
                )
        elif response.status_code != 405:  # a page that takes no POST says so first
            assert response.status_code == 302, (method, url)
            assert response["Location"].startswith(reverse("portal:login")), url
    assert ChangeRequest.objects.count() == 0


@pytest.mark.parametrize(
    "name", sorted(name for name, (kwargs, _p) in ROUTES.items() if "slug" in kwargs)
)
def test_another_members_representative_gets_a_404(other_client, acme, name):
    ChangeRequestFactory(member=acme)
    url = reverse(name, kwargs=ROUTES[name][0])
    assert other_client.get(url).status_code == 404
    response = other_client.post(url, {"summary_en": "Hijacked", "name_en": "X"})
    # A page that takes no POST says so first, for anyone.
    assert response.status_code == (405 if name == "portal:proposed-logo" else 404)
    assert ChangeRequest.objects.get().status == RequestStatus.PENDING
    assert ChangeRequest.objects.count() == 1


def test_every_portal_page_is_valid_html_in_both_languages(rep_client, acme):
    for name, (kwargs, _public) in ROUTES.items():
        if name in ("portal:logout", "portal:proposed-logo"):  # no page
            continue
        for language in ("en", "zh-hans"):
            with translation.override(language):
                url = reverse(name, kwargs=kwargs)
            response = rep_client.get(url, follow=True)
            assert response.status_code == 200, url
            assert_valid_html(response.content.decode())


def test_the_home_page_shows_the_organization_its_scenarios_news_and_application(
    rep_client, acme
):
    acme.last_verified_on = "2025-03-04"
    acme.save()
    ScenarioParticipationFactory(member=acme, scenario__title="Flood watch")
    ScenarioParticipationFactory(
        member=acme, scenario__title="Secret pilot", scenario__status="draft"
    )
    ArticleFactory(title="Acme launches", members=[acme])
    ArticleFactory(title="Draft news", members=[acme], status="draft")
    MembershipApplicationFactory(member=acme, status="approved")
    page = rep_client.get("/portal/").content.decode()
    assert "Acme Orbital" in page
    assert "Flood watch" in page and "Secret pilot" not in page
    assert "Acme launches" in page and "Draft news" not in page
    assert "2025" in page
    assert "Application to join" in page
    assert "Propose changes" in page


def test_sign_in_at_the_portal_in_both_languages(client, representative):
    for url in ("/portal/login/", "/zh-hans/portal/login/"):
        response = client.post(
            url, {"username": "rep@acme.example", "password": PASSWORD}
        )
        assert response.status_code == 302, response.content[:500]
        assert client.get("/portal/").status_code == 200
        client.logout()


def test_staff_and_people_who_represent_no_member_cannot_sign_in(client, acme):
    User.objects.create_user(
        "boss@x.example", "boss@x.example", PASSWORD, is_staff=True
    )
    User.objects.create_user("nobody@x.example", "nobody@x.example", PASSWORD)
    for username in ("boss@x.example", "nobody@x.example"):
        response = client.post(
            "/portal/login/", {"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200
        assert "does not represent a member" in response.content.decode()
        assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_portal_sign_in_as_the_admins(
    client, representative, settings
):
    def attempt(password):
        return client.post(
            "/portal/login/",
            {"username": "rep@acme.example", "password": password},
            REMOTE_ADDR="198.51.100.9",
        )

    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt("wrong-password")
    response = attempt(PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Said in the portal's own pages, not the admin's.
    page = response.content.decode()
    assert "Too many failed sign-in attempts" in page
    assert "Member portal" in page and "administration" not in page
    # The same failures lock the admin's sign-in too.
    response = client.post(
        "/admin/login/",
        {"username": "rep@acme.example", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.9",
    )
    assert response.status_code == 429


def test_the_session_of_a_representative_expires(client, representative):
    client.post(
        "/portal/login/", {"username": "rep@acme.example", "password": PASSWORD}
    )
    assert 0 < client.session.get_expiry_age() <= 8 * 60 * 60


def test_a_password_reset_reaches_representatives_only(
    client, representative, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    User.objects.create_user("boss", "boss@x.example", PASSWORD, is_staff=True)
    for email in ("rep@acme.example", "boss@x.example", "unknown@x.example"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/portal/password-reset/", {"email": email})
        assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["rep@acme.example"]]
    link = re.search(r"http\S+/set-password/\S+/", mail.outbox[0].body).group(0)
    path = link.split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": "another-long-password-9",
            "new_password2": "another-long-password-9",
        },
    )
    assert response.status_code == 302
    representative.user.refresh_from_db()
    assert representative.user.check_password("another-long-password-9")
    # The link works once.
    assert "not valid" in client.get(path, follow=True).content.decode()


def test_the_reset_form_limits_emails_per_address_and_forms_per_client(
    client, representative, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Many requests for one representative's address: three links an hour,
    # and the same answer every time, so nobody learns the address's state.
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/portal/password-reset/", {"email": "REP@acme.example"}
            )
        assert response.status_code == 302
        assert response["Location"] == "/portal/password-reset/sent/"
    assert len(mail.outbox) == 3
    # Then the client address is refused outright, with the reason and when to retry.
    for _ in range(6):
        response = client.post("/portal/password-reset/", {"email": "x@x.example"})
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "Too many requests" in response.content.decode()
    # Another client still gets through, but the representative's inbox stays at three.
    other = Client(REMOTE_ADDR="203.0.113.9")
    with django_capture_on_commit_callbacks(execute=True):
        response = other.post("/portal/password-reset/", {"email": "rep@acme.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 3


def proposal(rep_client, member, **changes):
    page = rep_client.get(f"/portal/members/{member.slug}/change/").content.decode()
    data = form_data(page)
    data.update(changes)
    return rep_client.post(f"/portal/members/{member.slug}/change/", data)


def test_proposing_changes_makes_a_pending_request_and_changes_nothing_public(
    rep_client,
    representative,
    acme,
    client,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sector = SectorFactory(slug="navigation", name="Navigation")
    with django_capture_on_commit_callbacks(execute=True):
        response = proposal(
            rep_client,
            acme,
            description_zh_hans="新的中文介绍",
            sectors=["navigation"],
            logo=png_upload("new-logo.png"),
            logo_alt_en="Acme's new logo",
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    change_request = ChangeRequest.objects.get()
    assert change_request.status == RequestStatus.PENDING
    assert change_request.submitted_by == representative.user
    assert set(change_request.changed_columns()) == {
        "description_zh_hans",
        "sectors",
        "logo_alt_en",
    }
    assert change_request.logo
    acme.refresh_from_db()
    assert not acme.description_zh_hans and not acme.logo
    assert list(acme.sectors.all()) == []
    assert "新的中文介绍" not in client.get("/zh-hans/members/acme/").content.decode()
    assert sector.pk
    assert len(mail.outbox) == 1  # the managers hear of it

    # Editing keeps one open request, pre-filled with what was proposed; the
    # proposed logo is shown from the private files, to the representative only.
    page = rep_client.get("/portal/members/acme/change/").content.decode()
    assert "新的中文介绍" in page
    assert 'src="/portal/members/acme/change/logo/"' in page
    logo = rep_client.get("/portal/members/acme/change/logo/")
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert "no-store" in logo["Cache-Control"]
    assert b"".join(logo.streaming_content).startswith(b"\x89PNG")
    assert "proposed-logos" not in page
    proposal(rep_client, acme, summary_en="Launches, better.")
    assert ChangeRequest.objects.count() == 1
    assert ChangeRequest.objects.get().proposed["summary_en"] == "Launches, better."
    assert ChangeRequest.objects.get().proposed["description_zh_hans"] == "新的中文介绍"


def test_bad_input_is_a_400_with_the_reason(rep_client, acme):
    cases = [
        ({"logo": png_upload("tiny.png", size=(8, 8))}, "pixels"),
        (
            {
                "logo": png_upload("fake.png").__class__(
                    "fake.png", b"<svg/>", "image/png"
                )
            },
            "image",
        ),
        ({"website": "javascript:alert(1)"}, "http"),
        ({"name_en": "", "name_zh_hans": ""}, "name"),
        ({"city_en": "Chong\nqing"}, "one line"),
        ({"description_en": "x" * 5001}, "5,000"),
        ({"sectors": ["no-such-sector"]}, "valid choice"),
        ({"contact_email": "not-an-address"}, "email"),
    ]
    for changes, reason in cases:
        response = proposal(rep_client, acme, **changes)
        assert response.status_code == 400, changes
        assert reason in response.content.decode(), (changes, reason)
    assert ChangeRequest.objects.count() == 0


def test_a_new_logo_needs_a_text_alternative(rep_client, acme):
    response = proposal(
        rep_client, acme, logo=png_upload(), logo_alt_en="", logo_alt_zh_hans=""
    )
    assert response.status_code == 400
    assert "readers who cannot see it" in response.content.decode()


def test_the_forms_refuse_a_post_without_its_csrf_token(representative, acme):
    client = Client(enforce_csrf_checks=True)
    client.force_login(representative.user)
    for url in (
        "/portal/members/acme/change/",
        "/portal/members/acme/confirm/",
        "/portal/members/acme/withdraw/",
        "/portal/two-factor/",
    ):
        assert client.post(url, {"name_en": "X"}).status_code == 403
    assert ChangeRequest.objects.count() == 0


def test_confirming_nothing_changed_is_a_request_and_one_at_a_time(rep_client, acme):
    assert rep_client.post("/portal/members/acme/confirm/").status_code == 302
    request = ChangeRequest.objects.get()
    assert request.kind == RequestKind.VERIFICATION
    acme.refresh_from_db()
    assert acme.last_verified_on is None
    # A second open request is refused, with the reason.
    response = rep_client.post("/portal/members/acme/confirm/", follow=True)
    assert "already waiting" in response.content.decode()
    assert ChangeRequest.objects.count() == 1


def test_a_request_can_be_withdrawn_until_it_is_reviewed(rep_client, acme):
    change_request = ChangeRequestFactory(member=acme)
    assert rep_client.post("/portal/members/acme/withdraw/").status_code == 302
    change_request.refresh_from_db()
    assert change_request.status == RequestStatus.WITHDRAWN
    reviewed = ChangeRequestFactory(
        member=acme, status=RequestStatus.REJECTED, review_message="No"
    )
    rep_client.post("/portal/members/acme/withdraw/")
    reviewed.refresh_from_db()
    assert reviewed.status == RequestStatus.REJECTED


def test_a_representative_of_two_members_sees_both(representative, rep_client):
    second = RepresentativeFactory(user=representative.user, member__name="Second Co")
    page = rep_client.get("/portal/").content.decode()
    assert "Acme Orbital" in page and "Second Co" in page
    assert (
        rep_client.get(f"/portal/members/{second.member.slug}/change/").status_code
        == 200
    )


def test_a_representative_whose_access_was_taken_away_is_shown_nothing(
    representative, rep_client
):
    representative.delete()
    assert rep_client.get("/portal/members/acme/change/").status_code == 404
    assert Member.objects.filter(slug="acme").exists()


def test_a_representative_turns_on_a_second_step_and_must_then_give_the_code(
    client, representative
):
    client.force_login(representative.user)
    page = client.get("/portal/two-factor/").content.decode()
    assert "data:image/svg+xml" in page
    device = TOTPDevice.objects.get(user=representative.user)
    assert not device.confirmed

    def code():
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        return str(totp.token()).zfill(device.digits)

    assert client.post("/portal/two-factor/", {"token": "000000"}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()  # a person tries again after a moment
    assert client.post("/portal/two-factor/", {"token": code()}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    client.logout()

    credentials = {"username": "rep@acme.example", "password": PASSWORD}
    response = client.post("/portal/login/", credentials)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    device.refresh_from_db()
    device.last_t = -1  # the code may be used again in this test
    device.save()
    response = client.post("/portal/login/", {**credentials, "otp_token": code()})
    assert response.status_code == 302


def proposed_logo_files():
    root = Path(storages["private"].location) / "portal" / "proposed-logos"
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.fixture
def refused_requests():
    """The database refuses to store a change request."""
    refuse_inserts(ChangeRequest._meta.db_table)


def test_a_proposal_that_is_not_stored_leaves_no_logo_behind(
    rep_client, acme, refused_requests
):
    rep_client.raise_request_exception = False
    response = proposal(
        rep_client, acme, logo=png_upload("new-logo.png"), logo_alt_en="Acme's logo"
    )
    # SQLite reports the refusal as an integrity error (a 409 with the reason
    # a stored row would give), PostgreSQL as an error of its own (500).
    assert response.status_code in (409, 500)
    assert not ChangeRequest.objects.exists()
    assert proposed_logo_files() == []


def test_a_newer_logo_in_the_same_request_replaces_the_file_of_the_first(
    rep_client, acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = proposal(
            rep_client, acme, logo=png_upload("first.png"), logo_alt_en="First"
        )
    assert first.status_code == 302
    [first_file] = proposed_logo_files()
    with django_capture_on_commit_callbacks(execute=True):
        second = proposal(
            rep_client,
            acme,
            logo=png_upload("second.png", colour="#aa3300"),
            logo_alt_en="Second",
        )
    assert second.status_code == 302
    [second_file] = proposed_logo_files()
    assert second_file != first_file
    assert ChangeRequest.objects.get().logo.path == str(second_file)
    served = rep_client.get("/portal/members/acme/change/logo/")
    assert b"".join(served.streaming_content) == second_file.read_bytes()
