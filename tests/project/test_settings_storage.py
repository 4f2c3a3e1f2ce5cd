"""Media on S3-compatible object storage, against a real S3 server on this machine.

The storage is configured by environment variables only. These tests read
alliance/project/settings.py afresh with such variables, point Django at a bucket of
moto's S3 server (started on a free local port), and check what an editor,
a reader, a partner and the backup commands get.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from unittest import mock

import boto3
import pytest
from csp.constants import SELF
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from moto.server import ThreadedMotoServer
from storages.backends.s3 import S3Storage

from members.models import Member
from tests.factories import MemberFactory, SectorFactory, TierFactory
from tests.helpers import committed, logo_post, png_bytes

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Straight to the local server, whatever proxy the environment names.
http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def settings_from_environment(**variables):
    """alliance/project/settings.py as read with these storage variables, as a separate module.

    Django's own settings are left alone; other AWS_* variables of the
    environment are hidden while it is read.
    """
    with mock.patch.dict(os.environ, variables):
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            if name not in variables:
                del os.environ[name]
        spec = importlib.util.spec_from_file_location(
            "settings_under_test", ROOT / "alliance" / "project" / "settings.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def image_sources(configured):
    return configured.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]


def allowed_by(source, url):
    """Whether a CSP source (an origin, or an origin and a path ending in /) matches a URL."""
    if source.endswith("/"):
        return url.startswith(source)
    return url.startswith(source + "/")


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )


def new_bucket(endpoint, *, public=True):
    """A new bucket, by default readable by anyone, as docs/deploy.md sets it up."""
    name = f"media-{uuid.uuid4().hex[:10]}"
    client = s3_client(endpoint)
    client.create_bucket(Bucket=name)
    if public:
        read_by_anyone = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{name}/*",
                }
            ],
        }
        client.put_bucket_policy(Bucket=name, Policy=json.dumps(read_by_anyone))
    return name


def stored_keys(endpoint, bucket):
    listing = s3_client(endpoint).list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def bucket_variables(endpoint, bucket):
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": REGION,
        **KEYS,
    }


@pytest.fixture
def bucket(s3_endpoint):
    return new_bucket(s3_endpoint)


@pytest.fixture
def object_storage(settings, s3_endpoint, bucket):
    """Django's media storage and image policy as the variables make them, on a new bucket."""
    configured = settings_from_environment(**bucket_variables(s3_endpoint, bucket))
    settings.STORAGES = {**settings.STORAGES, "default": configured.STORAGES["default"]}
    settings.CONTENT_SECURITY_POLICY = configured.CONTENT_SECURITY_POLICY
    return f"{s3_endpoint}/{bucket}/"


# --- The settings ------------------------------------------------------------


def test_without_a_bucket_media_stay_in_the_media_folder(tmp_path):
    configured = settings_from_environment(MEDIA_ROOT=str(tmp_path / "uploads"))
    assert configured.STORAGES["default"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage"
    }
    assert str(tmp_path / "uploads") == str(configured.MEDIA_ROOT)
    assert image_sources(configured) == [SELF, "data:"]


@pytest.mark.parametrize(
    ("variables", "address"),
    [
        # MinIO, or any service at an address of its own.
        (
            {"AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000"},
            "http://127.0.0.1:9000/alliance-media/",
        ),
        (
            {
                "AWS_S3_ENDPOINT_URL": "https://oss-cn-hangzhou.aliyuncs.com",
                "AWS_S3_REGION_NAME": "cn-hangzhou",
                "AWS_S3_ADDRESSING_STYLE": "virtual",
            },
            "https://alliance-media.oss-cn-hangzhou.aliyuncs.com/",
        ),
        (
            {
                "AWS_S3_ENDPOINT_URL": "https://minio.example.org",
                "AWS_S3_ADDRESSING_STYLE": "path",
            },
            "https://minio.example.org/alliance-media/",
        ),
        # Amazon S3 itself.
        ({}, "https://alliance-media.s3.amazonaws.com/"),
        (
            {"AWS_S3_REGION_NAME": "eu-west-1", "AWS_S3_ADDRESSING_STYLE": "virtual"},
            "https://alliance-media.s3.eu-west-1.amazonaws.com/",
        ),
        (
            {"AWS_S3_REGION_NAME": "cn-north-1"},
            "https://alliance-media.s3.cn-north-1.amazonaws.com.cn/",
        ),
        (
            {"AWS_S3_REGION_NAME": "eu-west-1", "AWS_S3_ADDRESSING_STYLE": "path"},
            "https://s3.eu-west-1.amazonaws.com/alliance-media/",
        ),
        # Signed addresses, for a bucket that is not public.
        (
            {"AWS_S3_REGION_NAME": "eu-west-1", "AWS_QUERYSTRING_AUTH": "true"},
            "https://alliance-media.s3",
        ),
        # A CDN or a domain of the site's own in front of the bucket.
        (
            {"AWS_S3_CUSTOM_DOMAIN": "media.alliance.example"},
            "https://media.alliance.example/",
        ),
        (
            {
                "AWS_S3_CUSTOM_DOMAIN": "cdn.alliance.example/media",
                "AWS_LOCATION": "site",
            },
            "https://cdn.alliance.example/media/site/",
        ),
    ],
)
def test_a_bucket_gives_addresses_that_the_image_policy_allows(variables, address):
    configured = settings_from_environment(
        AWS_STORAGE_BUCKET_NAME="alliance-media", **KEYS, **variables
    )
    storage = configured.STORAGES["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    url = S3Storage(**storage["OPTIONS"]).url("members/logos/acme/logo-160.webp")
    assert url.startswith(address)
    assert ("X-Amz-Signature=" in url) == ("AWS_QUERYSTRING_AUTH" in variables)
    sources = image_sources(configured)
    assert sources[:2] == [SELF, "data:"]
    assert any(allowed_by(source, url) for source in sources[2:]), (url, sources)


# --- Uploads, pages and the API ------------------------------------------------


@pytest.mark.django_db
def test_a_logo_uploaded_in_the_admin_is_stored_in_the_bucket_and_linked_there(
    admin_client, client, object_storage, s3_endpoint, bucket
):
    tier, sector = TierFactory(), SectorFactory()
    upload = SimpleUploadedFile(
        "logo.png", png_bytes((800, 400)), content_type="image/png"
    )
    with committed():  # the renditions are made by a task after the commit
        response = admin_client.post(
            "/admin/members/member/add/", logo_post(tier, sector, upload)
        )
    assert response.status_code == 302
    member = Member.objects.get(slug="logo-test")
    logo, small, large = (
        member.logo.name,
        member.logo_small.name,
        member.logo_large.name,
    )
    assert stored_keys(s3_endpoint, bucket) == sorted([logo, small, large])
    assert small.startswith("members/logos/logo-test/") and small.endswith(".webp")

    # The directory links to the bucket, and its image policy lets it.
    response = client.get("/members/")
    html = response.content.decode()
    assert f'src="{object_storage}{small}"' in html
    assert f"{object_storage}{large} 2x" in html
    assert "/media/" not in html
    assert f" {object_storage}" in response["Content-Security-Policy"]
    # The profile's structured data too.
    assert object_storage + large in client.get("/members/logo-test/").content.decode()

    # Partners get the same absolute addresses.
    logo_data = client.get("/api/v1/members/logo-test/").json()["logo"]
    assert logo_data["url"] == object_storage + small
    assert logo_data["large_url"] == object_storage + large
    assert (logo_data["width"], logo_data["height"]) == (160, 80)

    # And the address answers with the image, cacheable.
    with http.open(object_storage + small) as answer:
        assert answer.headers["Content-Type"] == "image/webp"
        assert answer.headers["Cache-Control"] == "public, max-age=86400"
        assert answer.read(12)[8:] == b"WEBP"

    # Clearing the logo deletes its renditions from the bucket; the upload
    # itself is kept, as on disk, until it is deleted.
    data = {**logo_post(tier, sector, None), "logo-clear": "on"}
    del data["logo"]
    # The member's page holds its representatives too (none here).
    data.update(
        {"representatives-TOTAL_FORMS": "0", "representatives-INITIAL_FORMS": "0"}
    )
    with committed():  # the files go once the change is committed
        response = admin_client.post(f"/admin/members/member/{member.pk}/change/", data)
    assert response.status_code == 302
    assert stored_keys(s3_endpoint, bucket) == [logo]
    default_storage.delete(logo)
    assert stored_keys(s3_endpoint, bucket) == []
    assert not default_storage.exists(logo)


@pytest.mark.django_db
def test_a_second_logo_of_the_same_name_does_not_replace_the_first(
    object_storage, s3_endpoint, bucket
):
    member = MemberFactory(slug="twice")
    with committed():
        member.logo.save("logo.png", ContentFile(png_bytes((400, 200))), save=True)
    first = member.logo.name
    with committed():
        member.logo.save("logo.png", ContentFile(png_bytes((300, 300))), save=True)
    member.refresh_from_db()
    assert member.logo.name != first
    # New renditions for the new upload, made because its name is new.
    assert member.logo_rendered_from == member.logo.name
    assert stored_keys(s3_endpoint, bucket) == sorted(
        [first, member.logo.name, member.logo_small.name, member.logo_large.name]
    )


@pytest.mark.parametrize(
    ("variables", "signed"),
    [
        ({"AWS_DEFAULT_ACL": "public-read"}, False),
        ({"AWS_QUERYSTRING_AUTH": "true"}, True),
    ],
)
@pytest.mark.django_db
def test_a_private_bucket_serves_logos_made_public_or_linked_with_a_signature(
    client, settings, s3_endpoint, variables, signed
):
    private = new_bucket(s3_endpoint, public=False)
    configured = settings_from_environment(
        **bucket_variables(s3_endpoint, private), **variables
    )
    settings.STORAGES = {**settings.STORAGES, "default": configured.STORAGES["default"]}
    settings.CONTENT_SECURITY_POLICY = configured.CONTENT_SECURITY_POLICY
    member = MemberFactory(slug="private")
    with committed():
        member.logo.save("logo.png", ContentFile(png_bytes((400, 200))), save=True)

    html = client.get("/members/").content.decode()
    url = re.search(r'<img[^>]* src="([^"]+)"', html).group(1).replace("&amp;", "&")
    plain = f"{s3_endpoint}/{private}/{member.logo_small.name}"
    assert url.startswith(plain)
    assert ("X-Amz-Signature=" in url) == signed
    with http.open(url) as answer:
        assert answer.read(12)[8:] == b"WEBP"
    # The upload itself is never linked; with signed links and no public ACL
    # it cannot be read without one. (A public-read ACL makes every object
    # readable, the upload included: that is what the variable asks for.)
    if signed:
        with pytest.raises(urllib.error.HTTPError, match="403"):
            http.open(f"{s3_endpoint}/{private}/{member.logo.name}")


# --- Backup and restore ---------------------------------------------------------


def manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def empty_database(tmp_path, settings):
    """The DATABASE_URL of a new, empty database of the kind the tests run on."""
    database = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"restore_{uuid.uuid4().hex[:8]}"
    host = database["HOST"] or "127.0.0.1"
    admin = {"PATH": "/usr/bin:/bin", "PGHOST": host, "PGUSER": database["USER"]}
    subprocess.run(["createdb", name], env=admin, check=True)
    yield f"postgres://{database['USER']}@{host}:{database['PORT'] or 5432}/{name}"
    subprocess.run(["dropdb", "--if-exists", name], env=admin, check=False)


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_a_bucket_restores_into_another_bucket(
    tmp_path, object_storage, s3_endpoint, bucket, empty_database
):
    member = MemberFactory(slug="kept")
    with committed():
        member.logo.save("kept.png", ContentFile(png_bytes((400, 200))), save=True)
    member.refresh_from_db()
    originals = stored_keys(s3_endpoint, bucket)
    assert len(originals) == 3

    call_command("backup", output=str(tmp_path / "backup"))
    with tarfile.open(tmp_path / "backup" / "media.tar.gz") as archive:
        assert sorted(archive.getnames()) == [f"media/{key}" for key in originals]

    # A new machine: its own database, and a bucket holding a stray file.
    target = new_bucket(s3_endpoint)
    s3_client(s3_endpoint).put_object(
        Bucket=target, Key="members/logos/gone/stray.webp", Body=b"stray"
    )
    env = {
        **os.environ,
        **bucket_variables(s3_endpoint, target),
        "DATABASE_URL": empty_database,
        "DJANGO_SETTINGS_MODULE": "alliance.project.settings",
    }
    result = manage("restore", str(tmp_path / "backup"), "--no-input", env=env)
    assert result.returncode == 0, result.stderr
    assert "3 media files" in result.stdout

    assert stored_keys(s3_endpoint, target) == originals
    client = s3_client(s3_endpoint)
    for key in originals:
        restored = client.get_object(Bucket=target, Key=key)["Body"].read()
        assert restored == client.get_object(Bucket=bucket, Key=key)["Body"].read()

    check = (
        "import django; django.setup();"
        "from members.models import Member; m = Member.objects.get(slug='kept');"
        "print(m.logo_small.storage.exists(m.logo_small.name), m.logo_small.url)"
    )
    result = subprocess.run(
        [sys.executable, "-c", check],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    exists, url = result.stdout.split()
    assert exists == "True"
    assert url == f"{s3_endpoint}/{target}/{member.logo_small.name}"


@pytest.mark.django_db(transaction=True)  # the backup reads the database file
def test_a_local_backup_restores_into_a_bucket(
    tmp_path, settings, s3_endpoint, bucket, empty_database
):
    # Taken while the media were on disk (the default storage of the tests).
    member = MemberFactory(slug="moved")
    with committed():
        member.logo.save("moved.png", ContentFile(png_bytes((400, 200))), save=True)
    call_command("backup", output=str(tmp_path / "backup"))
    on_disk = sorted(
        path.relative_to(settings.MEDIA_ROOT).as_posix()
        for path in Path(settings.MEDIA_ROOT).rglob("*")
        if path.is_file()
    )
    env = {
        **os.environ,
        **bucket_variables(s3_endpoint, bucket),
        "DATABASE_URL": empty_database,
        "DJANGO_SETTINGS_MODULE": "alliance.project.settings",
    }
    result = manage("restore", str(tmp_path / "backup"), "--no-input", env=env)
    assert result.returncode == 0, result.stderr
    assert stored_keys(s3_endpoint, bucket) == on_disk


def test_a_restore_refuses_an_archive_with_names_outside_the_media(tmp_path):
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "manifest.json").write_text(
        f'{{"vendor": "{connection.vendor}", "database": "x", "created": "now"}}'
    )
    evil = tmp_path / "evil.txt"
    evil.write_text("evil")
    with tarfile.open(folder / "media.tar.gz", "w:gz") as archive:
        archive.add(evil, arcname="media/../../evil.txt")
    with pytest.raises(Exception, match="outside media/"):
        call_command("restore", str(folder), no_input=True)
