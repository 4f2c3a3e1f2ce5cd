"""The admin: lockout after repeated failures, validated passwords, an optional second factor."""

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-and-unusual-password-42"


@pytest.fixture
def staff():
    return User.objects.create_user(
        "editor", password=PASSWORD, is_staff=True, is_superuser=True
    )


def login(client, password, token=""):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "editor", "password": password, "otp_token": token},
        REMOTE_ADDR="198.51.100.7",
    )


def test_repeated_failures_lock_the_account_out_even_with_the_right_password(
    client, staff, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "wrong-password").status_code == 200
    assert login(client, "wrong-password").status_code == 429
    response = login(client, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_correct_login_works_and_resets_the_count(client, staff):
    login(client, "wrong-password")
    response = login(client, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"


@pytest.mark.parametrize("weak", ["password123", "12345678901234", "short-pw"])
def test_weak_staff_passwords_are_refused(staff, weak):
    with pytest.raises(ValidationError):
        validate_password(weak, user=staff)


def totp_token(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def test_a_superuser_with_a_device_must_give_its_code(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    # Password alone: the form asks for the code and lets nobody in.
    response = login(client, PASSWORD)
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302
    response = login(client, PASSWORD, totp_token(device))
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_when_required_staff_without_a_device_cannot_use_the_admin(client, settings):
    settings.ADMIN_REQUIRE_2FA = True
    User.objects.create_user("editor", password=PASSWORD, is_staff=True)
    login(client, PASSWORD)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_without_the_requirement_a_password_is_enough(client, settings):
    settings.ADMIN_REQUIRE_2FA = False
    User.objects.create_user("editor", password=PASSWORD, is_staff=True)
    login(client, PASSWORD)
    assert client.get("/admin/").status_code == 200
