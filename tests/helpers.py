"""Helpers shared by tests of the public pages.

- `public_pages()`: one published object of every kind, and the address of
  every public page type that shows them (English addresses; Chinese ones
  are the same under /zh-hans/).
- `vnu_messages(files)`: what the Nu HTML Checker (the W3C validator, npm
  `vnu-jar`, run with Java) says about saved pages.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.factories import (
    ArticleFactory,
    EventFactory,
    InitiativeFactory,
    MemberFactory,
    PageFactory,
    ScenarioFactory,
    ScenarioParticipationFactory,
    SectorFactory,
    TagFactory,
)

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
VNU_JAR = BENCH / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def public_pages():
    """Build a small site with one of everything; return {page type: English path}."""
    sector = SectorFactory(name_en="Remote sensing", name_zh_hans="遥感")
    member = MemberFactory(
        slug="geo-lab",
        name_en="Geodata Lab",
        name_zh_hans="地理数据实验室",
        short_name_en="GeoLab",
        website="https://geolab.example/",
        country="HK",
        sectors=[sector],
    )
    MemberFactory(slug="sky-link", name_en="Skylink", name_zh_hans="天链", country="TW")
    scenario = ScenarioFactory(
        slug="flood-maps",
        title_en="Rapid flood maps",
        title_zh_hans="快速洪水制图",
        description_en="## How it works\n\nImagery within hours.",
        description_zh_hans="## 工作方式\n\n数小时内提供影像。",
    )
    ScenarioParticipationFactory(scenario=scenario, member=member)
    event = EventFactory(
        slug="forum", name_en="Space data forum", name_zh_hans="空间数据论坛"
    )
    ArticleFactory(
        slug="launch",
        title_en="The alliance is launched",
        title_zh_hans="联盟成立",
        body_en="## What happened\n\nMembers signed.\n\n### Next\n\nMore to come.",
        body_zh_hans="## 发生了什么\n\n成员签约。",
        source_name="Daily Space",
        source_url="https://news.example/launch",
        tags=[TagFactory(name_en="Launch", name_zh_hans="发布")],
        members=[member],
        scenarios=[scenario],
        event=event,
    )
    InitiativeFactory(slug="fund", name_en="Fund group", name_zh_hans="基金群")
    PageFactory(slug="about", title_en="About", title_zh_hans="关于")
    return {
        "home": "/",
        "news list": "/news/",
        "article": "/news/launch/",
        "members list": "/members/",
        "member": "/members/geo-lab/",
        "scenarios list": "/scenarios/",
        "scenario": "/scenarios/flood-maps/",
        "events list": "/events/",
        "event": "/events/forum/",
        "initiative": "/initiatives/fund/",
        "page": "/about/",
        "search": "/search/?q=flood",
        "join form": "/members/join/",
        "not found": "/no-such-page/",
    }


def in_both_languages(pages):
    """[(label, path)] of every page in English and in Chinese."""
    return [
        (f"{name} ({language})", prefix + path)
        for language, prefix in (("en", ""), ("zh-hans", "/zh-hans"))
        for name, path in pages.items()
    ]


def vnu_jar():
    """The checker's jar, installed by npm into bench/node_modules on first use
    (bench/package.json pins it, as it pins Lighthouse for `make lighthouse`).

    Skips the calling test on a machine without Java or npm, except in CI.
    """
    if not shutil.which("java") or not (VNU_JAR.exists() or shutil.which("npm")):
        reason = "the HTML check needs Java, and npm to install the checker"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    if not VNU_JAR.exists():
        # --ignore-scripts: vnu-jar's own install script would download a
        # Java runtime; the system's Java runs the jar.
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=BENCH,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return VNU_JAR


def vnu_messages(files):
    """The checker's errors and warnings about these HTML files, in one run."""
    result = subprocess.run(
        [
            "java",
            "-jar",
            str(vnu_jar()),
            "--format",
            "json",
            "--stdout",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stdout)["messages"]
    return [
        message
        for message in messages
        if message["type"] != "info" or message.get("subType") == "warning"
    ]
