"""Helpers shared by several test modules.

- `png()`: an uploadable PNG image; `png_upload()` one as a browser sends it.
- `served_form_data(html, form_id)`: what a browser would post back from a
  served form; `form_data(page)` the same with lxml, text areas with CRLF.
- `api_content()`: a little of everything the partner API shows.
- `public_pages()`: one published object of every kind, and the address of
  every public page type that shows them (English addresses; Chinese ones
  are the same under /zh-hans/).
- `vnu_messages(files)`: what the Nu HTML Checker (the W3C validator, npm
  `vnu-jar`, run with Java) says about saved pages.
- `public_models()`: every Publishable model in the app registry;
  `factory_of(model)` the factory that makes its rows.
- `assert_valid_html(html)`: strict HTML5 parsing of a rendered page.
- `axe_violations(page)`: the accessibility violations axe-core finds in a
  Playwright page (an empty list when the page is clean);
  `format_violations()` writes them one a line.
- Images as bytes: `png_bytes()`, `image_bytes()` (JPEG by default),
  `noise_png(megabytes)` (one that does not compress).
- Posted data: `logo_post()` (a member with a logo), `application_data()`
  (an application to join), `members_xlsx(rows)` (an import spreadsheet
  under `CSV_HEADER`; `dimension="A1:G10"` states a size of its own in the
  sheet, as another program may write a wrong one).
- `XSS_VECTORS`, `DANGEROUS_TAGS` and `Inspector`: what no rendered body
  may keep.
- `CHROMIUM` and `CHROMIUM_ARGS`: the browser the browser tests drive.
- `committed()`: run a block's commit hooks (queued tasks) at its end;
  `run_tasks()`: run the database queue's tasks as a worker does;
  `run_worker_batch()` a worker process on the test database until the
  queue is empty, `start_worker()` one left running (to be killed).
- `REDIS_URL` (`TEST_REDIS_URL`) and `redis_available()`: the Redis the
  tests may use.
- `refuse_inserts(table)`: a trigger that makes the database refuse every
  new row of a table, as a failing database would (SQLite or PostgreSQL).

This module is imported by test modules; `conftest.py` holds only fixtures
and hooks, and no test module imports another.
"""

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import html5lib
import pytest
import redis
from django.apps import apps
from django.core.files.base import ContentFile
from django.db import connection
from django.test import TestCase
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from lxml import html as lxml_html
from PIL import Image

from alliance.content.models import ParticipationRole
from alliance.kernel.publishing import Publishable
from tests import factories
from tests.factories import (
    ArticleFactory,
    EventFactory,
    FieldFactory,
    InitiativeFactory,
    MemberFactory,
    PageFactory,
    ScenarioFactory,
    ScenarioParticipationFactory,
    SectorFactory,
    TagFactory,
    TierFactory,
)

ROOT = Path(__file__).resolve().parents[1]


def public_models():
    """Every public model: each Publishable subclass in the app registry."""
    return [model for model in apps.get_models() if issubclass(model, Publishable)]


def factory_of(model):
    """The factory that makes rows of a public model (published unless told otherwise)."""
    found = [
        made
        for made in vars(factories).values()
        if isinstance(made, type)
        and issubclass(made, factories.PublishedFactory)
        and getattr(made._meta, "model", None) is model
    ]
    assert len(found) == 1, f"one factory of {model._meta.label}, not {found}"
    return found[0]


BENCH = ROOT / "bench"
VNU_JAR = BENCH / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# Debian's Chromium, as the browser tests drive it.
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No lookups leave the machine: only the local test server resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


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
        description_en="<h2>How it works</h2><p>Imagery within hours.</p>",
        description_zh_hans="<h2>工作方式</h2><p>数小时内提供影像。</p>",
    )
    ScenarioParticipationFactory(scenario=scenario, member=member)
    event = EventFactory(
        slug="forum", name_en="Space data forum", name_zh_hans="空间数据论坛"
    )
    ArticleFactory(
        slug="launch",
        title_en="The alliance is launched",
        title_zh_hans="联盟成立",
        body_en=(
            "<h2>What happened</h2><p>Members signed.</p>"
            "<h3>Next</h3><p>More to come.</p>"
        ),
        body_zh_hans="<h2>发生了什么</h2><p>成员签约。</p>",
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


def png(size=(640, 400), colour="#0b3a6f"):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="image.png")


def api_content():
    """A little of everything the partner API shows, in both languages, with drafts beside it.

    Every optional part of an item appears at least once, set and unset
    (logos, covers, images, sources, money, nested relations, an event
    that is over), so that checks of the answers meet every shape.
    """
    founding = TierFactory(slug="founding", name_zh_hans="创始成员")
    remote = SectorFactory(
        slug="remote-sensing", name="Remote sensing", name_zh_hans="遥感"
    )
    navigation = SectorFactory(slug="navigation", name_zh_hans="导航")
    SectorFactory(slug="hidden-sector", status="draft")
    acme = MemberFactory(
        slug="acme",
        name="Acme Orbital",
        name_zh_hans="阿克米轨道",
        country="FR",
        tier=founding,
        sectors=[remote, navigation],
        logo_alt="Acme's logo",
    )
    acme.logo.save("acme.png", png((400, 200)), save=True)
    plain = MemberFactory(slug="plain-member", sectors=[remote])
    MemberFactory(slug="draft-member", status="draft", sectors=[remote])
    energy = FieldFactory(slug="energy", name_zh_hans="能源")
    FieldFactory(slug="elderly-care")
    forum = EventFactory(
        slug="forum", name_zh_hans="论坛", website="https://forum.example"
    )
    EventFactory(slug="past-forum", starts_on="2023-11-20", ends_on="2023-11-21")
    grid = ScenarioFactory(
        slug="grid",
        field=energy,
        space_data=["remote_sensing", "satellite_navigation"],
        announced_at=forum,
        image_alt="A grid map",
        region="Chongqing",
    )
    grid.image.save("grid.png", png((1200, 800)), save=True)
    ScenarioParticipationFactory(scenario=grid, member=acme)
    ScenarioParticipationFactory(
        scenario=grid, member=plain, role=ParticipationRole.USER_AGENCY
    )
    ScenarioFactory(slug="draft-scenario", status="draft", field=energy)
    policy = TagFactory(slug="policy", name_zh_hans="政策")
    story = ArticleFactory(
        slug="launch-story",
        title_zh_hans="发布",
        tags=[policy],
        members=[acme, plain],
        scenarios=[grid],
        event=forum,
        featured=True,
        cover_alt="A rocket on its pad",
        source_name="Orbit Daily",
        source_url="https://orbit.example/story",
        source_published_on="2024-05-01",
    )
    story.cover_image.save("cover.png", png((1600, 900)), save=True)
    ArticleFactory(slug="plain-story")
    ArticleFactory(slug="draft-story", status="draft")
    fund = InitiativeFactory(
        slug="fund", kind="fund", amount="100000000", currency="CNY"
    )
    fund.participants.set([acme])
    InitiativeFactory(slug="community", launched_at=forum)
    PageFactory(slug="about", title="About", title_zh_hans="关于", order=1)
    PageFactory(slug="charter", title="Charter", order=2)
    PageFactory(slug="draft-page", status="draft")
    # Tombstones of each kind: unpublished, deleted, renamed.
    left = MemberFactory(slug="left-member")
    left.status = "draft"
    left.save()
    PageFactory(slug="old-contact").delete()
    renamed = ArticleFactory(slug="old-name")
    renamed.slug = "new-name"
    renamed.save()


def png_upload(name="image.png", size=(400, 300), colour="#0b3a6f"):
    """A real PNG file, as a browser uploads it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


class _FormParser(HTMLParser):
    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.depth = 0
        self.data = []
        self.select = None
        self.select_multiple = False
        self.select_chosen = []
        self.select_first = None
        self.textarea = None
        self.text = []
        self.file_fields = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            if attrs.get("id") == self.form_id:
                self.inside = True
            return
        if not self.inside or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data.append((name, attrs.get("value", "on")))
            elif kind == "file":
                self.file_fields.append(name)
            elif kind not in ("submit", "button", "image", "reset"):
                self.data.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self.select = name
            self.select_multiple = "multiple" in attrs
            self.select_chosen, self.select_first = [], None
        elif tag == "option" and self.select:
            value = attrs.get("value", "")
            if self.select_first is None:
                self.select_first = value
            if "selected" in attrs:
                self.select_chosen.append(value)
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self.select:
            chosen = self.select_chosen
            if (
                not chosen
                and not self.select_multiple
                and self.select_first is not None
            ):
                chosen = [self.select_first]  # what a browser sends: the first option
            self.data.extend((self.select, value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea:
            text = "".join(self.text)
            # The HTML parser drops the newline that follows <textarea>.
            self.data.append((self.textarea, text.removeprefix("\n")))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)


def served_form_data(html, form_id):
    """What a browser submits from the form `form_id` of a page, as the test client takes it.

    Text, hidden, checked and selected values, and textareas, all as served
    (empty file inputs are left out, as a browser sends no file). Raises when
    the page has no such form.
    """
    parser = _FormParser(form_id)
    parser.feed(html)
    if not parser.data:
        raise AssertionError(f"no form #{form_id} with fields in the page")
    data = {}
    for name, value in parser.data:
        data.setdefault(name, []).append(value)
    return {
        name: values if len(values) > 1 else values[0] for name, values in data.items()
    }


def form_data(page, form_id=None):
    """What a browser posts for the page's form as it stands: its successful controls.

    Text areas are posted with CRLF line endings, as browsers do. Pass a
    mapping over the result to change fields before posting it again.
    """
    document = lxml_html.fromstring(page)
    form = (
        document.get_element_by_id(form_id)
        if form_id
        else document.xpath("//form[@method='post' or @method='POST']")[-1]
    )
    data = {}

    def add(name, value):
        data.setdefault(name, []).append(value)

    for control in form.xpath(".//input | .//select | .//textarea"):
        name = control.get("name")
        if not name or control.get("disabled") is not None:
            continue
        if control.tag == "textarea":
            text = control.text or ""
            # As in a browser, a newline right after <textarea> is not content.
            text = text.removeprefix("\n")
            add(name, text.replace("\n", "\r\n"))
        elif control.tag == "select":
            for option in control.xpath(".//option[@selected]"):
                add(name, option.get("value", option.text or ""))
        else:
            kind = (control.get("type") or "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"}:
                continue
            if kind in {"checkbox", "radio"} and control.get("checked") is None:
                continue
            add(name, control.get("value", "on" if kind == "checkbox" else ""))
    return {
        name: values if len(values) > 1 else values[0] for name, values in data.items()
    }


def role_group(name):
    """The admin role `name` as its migration makes it.

    Tests that run in transactions of their own (browser journeys) start
    from a flushed database, which keeps no groups: this makes them again.
    """
    from django.apps import apps
    from django.contrib.auth.models import Group

    from alliance.kernel.roles import sync_roles

    sync_roles(apps)
    return Group.objects.get(name=name)


def assert_valid_html(html: str) -> None:
    """Parse a page with html5lib in strict mode: any parse error fails."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        parser.parse(html)
    except html5lib.html5parser.ParseError as error:
        line, column = parser.errors[-1][0] if parser.errors else ("?", "?")
        raise AssertionError(
            f"invalid HTML at line {line}, column {column}: {error}"
        ) from error


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.x A and AA rules) in the page and return its violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return results.response["violations"]


def format_violations(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    )


def png_bytes(size=(200, 100), image_format="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, "#0b3a6f").save(buffer, format=image_format)
    return buffer.getvalue()


def logo_post(tier, sector, upload):
    return {
        "name_en": "Logo Test Co",
        "slug": "logo-test",
        "status": "published",
        "tier": tier.pk,
        "sectors": [sector.pk],
        "country": "CN",
        "logo": upload,
    }


CSV_HEADER = "slug,name_en,name_zh_hans,tier,sectors,country,status\n"


def members_xlsx(rows, *, dimension=None):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(CSV_HEADER.strip().split(","))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if dimension is None:
        return buffer.getvalue()
    # The size the sheet states (`<dimension ref="A1:G31"/>`) rewritten.
    written, rewritten = zipfile.ZipFile(buffer), io.BytesIO()
    with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in written.infolist():
            content = written.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(
                    rb'<dimension ref="[^"]*"',
                    b'<dimension ref="' + dimension.encode() + b'"',
                    content,
                )
            archive.writestr(item, content)
    return rewritten.getvalue()


def image_bytes(size=(1600, 900), image_format="JPEG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, "#0b3a6f").save(buffer, format=image_format)
    return buffer.getvalue()


def noise_png(megabytes):
    """A real PNG of about `megabytes`: random pixels do not compress."""
    side = int((megabytes * 1024 * 1024 / 3) ** 0.5) + 1
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        buffer, format="PNG"
    )
    return buffer.getvalue()


XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://x.example/x.js></SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<img src=x onerror=alert(1)>",
    "<img src=x ONERROR=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<img src=`javascript:alert(1)`>",
    '<img """><script>alert(1)</script>">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="  javascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="#" onclick="alert(1)">x</a>',
    '<a href="#" onmouseover=alert(1)>x</a>',
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](javascript&#58;alert(1))",
    "![x](javascript:alert(1))",
    '[x](https://ok.example/ "title" onclick="alert(1)")',
    "<div style=\"background:url('javascript:alert(1)')\">x</div>",
    "<p style=expression(alert(1))>x</p>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<input onfocus=alert(1) autofocus>",
    '<button formaction="javascript:alert(1)">x</button>',
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    '<base href="javascript:alert(1)//">',
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<img src=x:alert(1) onerror=eval(src)>",
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<td onmouseover="alert(1)">x</td>',
    "<isindex type=image src=1 onerror=alert(1)>",
    '<x onclick="alert(1)">x</x>',
    '<h2 onclick="alert(1)" id="x">Heading</h2>',
    '<img src="https://ok.example/a.png" alt="ok" onload="alert(1)">',
    "&lt;script&gt;alert(1)&lt;/script&gt;<script>alert(2)</script>",
]


class Inspector(HTMLParser):
    """Collect every tag and attribute of the rendered HTML."""

    def __init__(self):
        super().__init__()
        self.tags, self.attributes = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)


DANGEROUS_TAGS = {"script", "iframe", "object", "embed", "style", "link", "meta", "form", "input", "button",
                  "svg", "math", "base", "body", "video", "audio", "source", "details", "marquee", "isindex"}  # fmt: skip


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_available():
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        return False


def application_data(**overrides):
    data = {
        "organization_name": "Orbit Start",
        "country": "SG",
        "capability": "Small satellite buses.",
        "contact_name": "Ada",
        "contact_email": "ada@orbit.example",
        "website": "https://orbit.example",
    }
    return {**data, **overrides}


@contextlib.contextmanager
def committed():
    """Run the block as if its transaction committed: the tasks it queues run at its end.

    A test's transaction never commits, so what waits for the commit (the
    renditions of an upload, mails) would never be queued. With the
    immediate task backend of the tests the tasks run then and there.
    """
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield


def run_tasks():
    """Run the database queue's ready tasks in this process, as `manage.py worker` does.

    django-tasks-db's own worker runs each task (`Worker.run_task`); only its
    loop, which would close the test's connection, is left out. Answer
    how many ran.
    """
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    ran = 0
    while (result := DBTaskResult.objects.ready().first()) is not None:
        result.claim(worker.worker_id)
        # A task runs in autocommit in a worker: what it enqueues at the
        # commit is enqueued when it is done, not at the test's end.
        with TestCase.captureOnCommitCallbacks(execute=True):
            worker.run_task(result)
        ran += 1
    return ran


def worker_database_url():
    """The address of the test database (PostgreSQL), for another process."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _worker_environment(environment):
    return {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "EMAIL_URL": "consolemail://",
        **environment,
    }


def run_worker_batch(timeout=300, **environment):
    """Run `manage.py worker --batch` in its own process on the test database, until the
    queue is empty; `environment` adds settings. Return the finished process."""
    return subprocess.run(
        [sys.executable, "manage.py", "worker", "--batch"],
        cwd=ROOT,
        env=_worker_environment(environment),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_worker(**environment):
    """Start `manage.py worker` in its own process on the test database and leave it running.

    Answer the process (`subprocess.Popen`), to be killed by the test; its
    output is discarded.
    """
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.1"],
        cwd=ROOT,
        env=_worker_environment(environment),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def refuse_inserts(table):
    """Make the database refuse every row inserted into `table`: a trigger fails the insert.

    The test's transaction drops the trigger with everything else it did.
    """
    name = f"refuse_{table}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                f"AS $$ BEGIN RAISE EXCEPTION 'rows of {table} refused'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER INSERT ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER INSERT ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'rows of {table} refused'); END"
            )
