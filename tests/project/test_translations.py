"""Both languages everywhere: catalogue complete, pages, switcher, formats, fallbacks."""

import html as html_module
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import segno
from django.conf import settings
from django.utils import translation

from tests.factories import (
    ArticleFactory,
    EventFactory,
    InitiativeFactory,
    MemberFactory,
    PageFactory,
    ScenarioFactory,
)

ROOT = Path(__file__).resolve().parents[2]
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", "var", "node_modules", "staticfiles", ".git", "__pycache__", "*.mo"
)
# Strings that are the same in both languages on purpose.
SAME_IN_BOTH = {"API", "RSS", "Atom"}


def read_po(path):
    """(msgid, msgstr, fuzzy) for each entry of a .po file."""
    entries, text = [], path.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', block, re.M)
        if not msgid or not msgstr:
            continue
        join = lambda chunk: "".join(re.findall(r'"(.*)"', chunk))  # noqa: E731
        entries.append(
            (join(msgid.group(1)), join(msgstr.group(1)), "#, fuzzy" in block)
        )
    return [entry for entry in entries if entry[0]]


@pytest.mark.skipif(
    not shutil.which("xgettext") and not os.environ.get("CI"),
    reason="extracting strings needs GNU gettext: apt-get install gettext",
)
def test_every_string_of_the_site_is_translated(tmp_path):
    """Extract the strings of the current code afresh and check each has a Chinese translation."""
    copy = tmp_path / "site"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete",
         "--ignore=tests", "--ignore=examples", "--ignore=bench"],
        cwd=copy, check=True, capture_output=True,
    )  # fmt: skip
    entries = read_po(copy / "locale/zh_Hans/LC_MESSAGES/django.po")
    assert len(entries) > 300
    untranslated = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert not untranslated, (
        f"translate these in locale/zh_Hans (make messages): {untranslated}"
    )
    copied = [
        msgid
        for msgid, msgstr, _f in entries
        if msgstr == msgid and msgid not in SAME_IN_BOTH
    ]
    assert not copied, f"these are English copied into the Chinese catalogue: {copied}"


@pytest.fixture
def site(db):
    return {
        "page": PageFactory(slug="about", title_en="About", title_zh_hans="关于"),
        "article": ArticleFactory(
            slug="launch", title_en="Launch", title_zh_hans="发射"
        ),
        "member": MemberFactory(slug="acme", name_en="Acme", name_zh_hans="艾克米"),
        "scenario": ScenarioFactory(slug="grid", title_en="Grid", title_zh_hans="电网"),
        "event": EventFactory(slug="forum", name_en="Forum", name_zh_hans="论坛"),
        "initiative": InitiativeFactory(
            slug="fund", name_en="Fund", name_zh_hans="基金"
        ),
    }


PUBLIC_PATHS = [
    "/", "/about/", "/news/", "/news/launch/", "/members/", "/members/acme/", "/members/join/",
    "/scenarios/", "/scenarios/grid/", "/events/", "/events/forum/", "/initiatives/fund/",
    "/search/?q=grid",
]  # fmt: skip


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_every_public_page_exists_in_both_languages(client, site, path):
    english = client.get(path)
    chinese = client.get(f"/zh-hans{path}")
    assert english.status_code == chinese.status_code == 200
    english_html, chinese_html = english.content.decode(), chinese.content.decode()
    assert (
        '<html lang="en">' in english_html and '<html lang="zh-hans">' in chinese_html
    )
    for html in (english_html, chinese_html):
        assert f'hreflang="en" href="http://testserver{path}"' in html
        assert f'hreflang="zh-hans" href="http://testserver/zh-hans{path}"' in html
    assert "Skip to content" in english_html and "跳到正文" in chinese_html
    # The switcher leads to the same page (query string included) in the other
    # language, through the view that remembers the choice.
    to_chinese = re.search(r'<a href="([^"]+)" hreflang="zh-hans"', english_html)
    to_english = re.search(r'<a href="([^"]+)" hreflang="en"', chinese_html)
    chosen = client.get(html_module.unescape(to_chinese.group(1)))
    assert chosen.status_code == 302
    assert chosen["Location"] == f"/zh-hans{path}"
    assert chosen.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    chosen = client.get(html_module.unescape(to_english.group(1)))
    assert chosen["Location"] == path
    assert chosen.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_chinese_pages_show_chinese_content_and_interface(client, site):
    html = client.get("/zh-hans/news/launch/").content.decode()
    assert "<h1>发射</h1>" in html
    assert "分享本页" in html
    assert "Launch" not in html.split("<main")[1].split("</main>")[0].replace(
        "launch", ""
    )


def test_dates_follow_the_language(client, db):
    import datetime

    EventFactory(
        slug="forum",
        starts_on=datetime.date(2023, 11, 20),
        ends_on=datetime.date(2023, 11, 21),
    )
    assert "Nov. 20, 2023" in client.get("/events/forum/").content.decode()
    assert "2023年11月20日" in client.get("/zh-hans/events/forum/").content.decode()


def test_missing_translation_falls_back_and_says_so(client, db):
    PageFactory(
        slug="charter",
        title_en="Charter",
        title_zh_hans="",
        body_en="<h2>Rules</h2><p>Text.</p>",
        body_zh_hans="",
    )
    html = client.get("/zh-hans/charter/").content.decode()
    assert "<h1>Charter</h1>" in html
    assert "此内容暂无简体中文版本" in html
    assert '<div lang="en">' in html
    PageFactory(
        slug="only-chinese",
        title_en="",
        title_zh_hans="章程",
        body_en="",
        body_zh_hans="正文",
    )
    english = client.get("/only-chinese/").content.decode()
    assert "章程" in english and "is not available in English yet" in english
    assert '<div lang="zh-hans">' in english
    complete = client.get(
        "/zh-hans/charter/".replace("charter", "only-chinese")
    ).content.decode()
    assert "notice--language" not in complete


def test_share_card_carries_a_server_drawn_qr_code_of_the_page(client, site):
    html = client.get("/zh-hans/news/launch/").content.decode()
    expected = segno.make("http://testserver/zh-hans/news/launch/", error="m")
    path = re.search(
        r'<path[^>]*class="share-card__qr-line"[^>]*d="([^"]+)"', html
    ).group(1)
    assert path in expected.svg_inline(
        scale=3, border=2, lineclass="share-card__qr-line"
    )
    assert 'role="img" aria-label="本页网址的二维码"' in html


def test_feeds_and_sitemap_exist_for_both_languages(client, site):
    assert "发射" in client.get("/zh-hans/news/feed/").content.decode()
    sitemap = client.get("/sitemap-news.xml").content.decode()
    assert (
        "http://testserver/news/launch/" in sitemap
        and "http://testserver/zh-hans/news/launch/" in sitemap
    )


def test_icp_filing_number_is_shown_only_when_configured(client, db, settings):
    assert "ICP" not in client.get("/").content.decode()
    settings.ICP_FILING_NUMBER = "京ICP备12345678号"
    assert "京ICP备12345678号" in client.get("/zh-hans/").content.decode()


def test_money_and_numbers_per_language(db):
    from alliance.kernel.money import format_money

    with translation.override("zh-hans"):
        assert format_money(140_000_000_000, "USD") == "1400亿美元"
    with translation.override("en"):
        assert format_money(140_000_000_000, "USD") == "US$140 billion"


def test_the_site_name_is_shown_in_the_page_language(client, db, settings):
    settings.SITE_NAME = "Example Alliance"
    settings.SITE_NAME_ZH_HANS = "示例联盟"
    assert "<title>Example Alliance</title>" in client.get("/").content.decode()
    assert "<title>示例联盟</title>" in client.get("/zh-hans/").content.decode()
    settings.SITE_NAME_ZH_HANS = ""
    assert "<title>Example Alliance</title>" in client.get("/zh-hans/").content.decode()


def json_ld(html):
    import json

    return json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
        .group(1)
        .replace("\\u003C", "<")
        .replace("\\u003E", ">")
        .replace("\\u0026", "&")
    )


@pytest.mark.parametrize(
    ("path", "role"), [("/news/launch/", "publisher"), ("/events/forum/", "organizer")]
)
def test_structured_data_names_the_site_in_the_page_language(
    client, site, settings, path, role
):
    settings.SITE_NAME = "Example Alliance"
    settings.SITE_NAME_ZH_HANS = "示例联盟"
    english = json_ld(client.get(path).content.decode())
    chinese = json_ld(client.get(f"/zh-hans{path}").content.decode())
    assert english[role]["name"] == "Example Alliance"
    assert chinese[role]["name"] == "示例联盟"


def test_heading_permalinks_are_titled_in_the_page_language(client, db):
    # The same text on both pages: a rendering cached for one language must
    # not be served to the other.
    PageFactory(slug="charter", body_en="<h2>Rules</h2><p>Text.</p>", body_zh_hans="")
    english = client.get("/charter/").content.decode()
    chinese = client.get("/zh-hans/charter/").content.decode()
    assert 'class="anchor" href="#rules" title="Permanent link"' in english
    assert 'class="anchor" href="#rules" title="本节链接"' in chinese
    assert "Permanent link" not in chinese
