"""The member import as a person reads it, and exports that are safe to open."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from members import admin as members_admin
from members.models import Member, MemberImport
from members.resources import ADMIN_ROW_LIMIT
from tests.factories import MemberFactory, SectorFactory, TierFactory

pytestmark = pytest.mark.django_db

HEADER = "slug,name_en,name_zh_hans,tier,sectors,country,status\n"


@pytest.fixture
def known():
    TierFactory(slug="member")
    SectorFactory(slug="navigation")
    SectorFactory(slug="launch")


def dry_run(client, content, name="members.csv", file_format="0"):
    upload = SimpleUploadedFile(name, content.encode())
    return client.post(
        reverse("admin:members_member_import"),
        {"import_file": upload, "format": file_format, "resource": "0"},
    )


def test_a_dry_run_lists_every_bad_row_with_its_row_column_and_reason(
    admin_client, known
):
    content = HEADER + (
        "good-one,Good One,好,member,navigation,CN,published\n"
        "bad-tier,Bad Tier,坏,gold,navigation,CN,published\n"
        "good-two,Good Two,好,member,launch,DE,published\n"
        "bad-sector,Bad Sector,坏,member,navigation;rockets,CN,published\n"
        "bad-country,Bad Country,坏,member,navigation,XX,published\n"
        "bad-both,Bad Both,坏,observer,navigation,QQ,published\n"
    )
    response = dry_run(admin_client, content)
    assert response.status_code == 200
    problems = [(p.row, p.column) for p in response.context["problems"]]
    assert problems == [
        (3, "tier"),
        (5, "sectors"),
        (6, "country"),
        (7, "country"),
        (7, "tier"),
    ]
    html = response.content.decode()
    assert "5 problems: nothing was imported" in html
    assert "Unknown membership tier “gold”." in html
    assert "Unknown sector: “rockets”." in html
    assert "Unknown country code “XX”" in html
    assert 'class="import-problems"' in html
    assert response.context.get("confirm_form") is None
    assert Member.objects.count() == 0


def test_a_file_longer_than_the_admin_checks_goes_to_the_worker(
    admin_client, known, database_tasks
):
    rows = "".join(
        f"m-{n},M {n},成员 {n},member,navigation,CN,draft\n"
        for n in range(ADMIN_ROW_LIMIT + 1)
    )
    response = dry_run(admin_client, HEADER + rows)
    record = MemberImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/members/memberimport/{record.pk}/change/"
    assert record.rows == ADMIN_ROW_LIMIT + 1
    assert Member.objects.count() == 0


def test_a_file_longer_than_the_worker_takes_is_refused_naming_the_command(
    admin_client, known, monkeypatch
):
    monkeypatch.setattr(members_admin, "BACKGROUND_ROW_LIMIT", ADMIN_ROW_LIMIT)
    rows = "".join(
        f"m-{n},M {n},成员 {n},member,navigation,CN,draft\n"
        for n in range(ADMIN_ROW_LIMIT + 1)
    )
    response = dry_run(admin_client, HEADER + rows)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"This file has {ADMIN_ROW_LIMIT + 1:,}".replace(",", "") in html.replace(
        ",", ""
    )
    assert "manage.py import_members FILE --dry-run" in html
    assert response.context.get("result") is None
    assert not MemberImport.objects.exists()
    assert Member.objects.count() == 0


def test_the_admin_export_escapes_formulas_and_marks_csv_as_utf8(admin_client):
    MemberFactory(slug="formula", name_en="=cmd|' /C calc'!A0", name_zh_hans="公式")
    fields = {
        f"memberresource_{name}": "on" for name in ("slug", "name_en", "name_zh_hans")
    }
    csv_response = admin_client.post(
        reverse("admin:members_member_export"),
        {"format": "0", "resource": "0", **fields},
    )
    body = csv_response.content
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in text and "公式" in text

    xlsx_response = admin_client.post(
        reverse("admin:members_member_export"),
        {"format": "1", "resource": "0", **fields},
    )
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    formula = next(cell for cell in cells if str(cell.value).startswith("=cmd"))
    assert formula.data_type == "s"  # text, not a formula
    assert not any(cell.data_type == "f" for cell in cells)


def test_an_exported_file_imports_back_unchanged(admin_client, known):
    member = MemberFactory(
        slug="round-trip",
        name_en="-minus",
        tier=Member.tier.field.related_model.objects.get(slug="member"),
    )
    export = admin_client.post(
        reverse("admin:members_member_export"),
        {
            "format": "0",
            "resource": "0",
            **{
                f"memberresource_{n}": "on"
                for n in ("slug", "name_en", "tier", "country")
            },
        },
    )
    response = dry_run(admin_client, export.content.decode("utf-8-sig"))
    assert response.context["problems"] == []
    assert response.context["result"].totals["skip"] == 1
    member.refresh_from_db()
    assert member.name_en == "-minus"


def write(tmp_path, content, name="members.csv"):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_the_command_lists_every_problem_and_exits_non_zero(tmp_path, known, capsys):
    path = write(
        tmp_path,
        HEADER
        + "ok,OK,好,member,navigation,CN,draft\n"
        + "bad-1,Bad,坏,gold,navigation,CN,draft\n"
        + "bad-2,Bad,坏,member,navigation,ZZ,draft\n",
    )
    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_members", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "row 3, column tier: Unknown membership tier “gold”." in out
    assert "row 4, column country: Unknown country code “ZZ”" in out
    # Without --dry-run too: a file with a bad row changes nothing.
    with pytest.raises(CommandError):
        call_command("import_members", str(path))
    assert Member.objects.count() == 0


def test_the_command_checks_a_file_and_shows_its_progress(tmp_path, known, capsys):
    # Progress is told every 500 rows and at the end.
    rows = "".join(
        f"m-{n},M {n},成员 {n},member,navigation,CN,draft\n" for n in range(501)
    )
    call_command("import_members", str(write(tmp_path, HEADER + rows)), "--dry-run")
    captured = capsys.readouterr()
    assert "Dry run, nothing changed: 501 new" in captured.out
    assert "500 of 501 rows checked" in captured.err
    assert "501 of 501 rows checked" in captured.err
    assert Member.objects.count() == 0


def test_the_command_imports_a_clean_file(tmp_path, known, capsys):
    rows = "".join(
        f"m-{n},M {n},成员 {n},member,navigation,CN,draft\n" for n in range(3)
    )
    call_command("import_members", str(write(tmp_path, HEADER + rows)))
    assert "Imported: 3 new" in capsys.readouterr().out
    assert Member.objects.filter(slug__startswith="m-").count() == 3


def test_the_command_refuses_an_unknown_kind_of_file(tmp_path):
    path = write(tmp_path, "x", name="members.txt")
    with pytest.raises(CommandError, match="csv or .xlsx"):
        call_command("import_members", str(path))
