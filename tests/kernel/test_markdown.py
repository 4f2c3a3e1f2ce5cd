"""Whatever an editor (or an attacker with an editor's account) writes, no script survives."""

import pytest

from alliance.kernel.markdown import render_markdown
from tests.helpers import DANGEROUS_TAGS, XSS_VECTORS, Inspector


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
