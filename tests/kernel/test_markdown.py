"""Whatever an editor (or an attacker with an editor's account) writes, no script survives."""

from html.parser import HTMLParser

import pytest

from alliance.kernel.markdown import render_markdown

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


def test_there_are_at_least_fifty_vectors():
    assert len(XSS_VECTORS) >= 50


@pytest.mark.parametrize("vector", XSS_VECTORS)
def test_no_script_survives_rendering(vector):
    html = render_markdown(f"Intro\n\n{vector}\n\nOutro")
    inspector = Inspector()
    inspector.feed(html)
    assert not DANGEROUS_TAGS & set(inspector.tags), html
    for name, value in inspector.attributes:
        assert not name.startswith("on"), html
        assert name != "style", html
        if name in {"href", "src"} and value:
            scheme = value.strip().split(":", 1)[0].lower() if ":" in value else ""
            assert scheme in {"", "http", "https", "mailto"}, html


def test_tables_images_and_heading_anchors_survive():
    html = render_markdown(
        "## Results\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![A chart](https://ok.example/chart.png)\n\n## 能源 场景\n"
    )
    assert "<table>" in html and "<td>1</td>" in html
    assert '<img alt="A chart" src="https://ok.example/chart.png">' in html
    assert '<h2 id="results">' in html and 'href="#results"' in html
    assert '<h2 id="能源-场景">' in html


def test_links_get_a_safe_rel():
    html = render_markdown("[site](https://ok.example/)")
    assert 'rel="noopener noreferrer"' in html
