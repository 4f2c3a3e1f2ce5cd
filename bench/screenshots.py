#!/usr/bin/env python3
"""The README's screenshots: home, directory and an article, on a phone and a desktop, in both languages.

Against a running site with the demo content (`make run`, or any address):

    .venv/bin/python bench/screenshots.py --base-url http://127.0.0.1:8000

Writes docs/screenshots/<page>-<language>-<width>.png: the first screen of
each page (375 x 812 and 1280 x 800), reduced to a 64-colour palette so that
the whole gallery stays small.
"""

import argparse
import io
import os
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
PAGES = {
    "home": "/",
    "directory": "/members/",
    "article": "/news/alliance-launched-in-chongqing/",
}
LANGUAGES = {"en": "", "zh": "/zh-hans"}
SCREENS = {375: {"width": 375, "height": 812}, 1280: {"width": 1280, "height": 800}}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]  # fmt: skip


def small_png(data):
    """The screenshot with a 64-colour palette: a fraction of the size, no visible change."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image = image.quantize(
        colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    total = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROME_PATH", "/usr/bin/chromium"),
            args=CHROMIUM_ARGS,
        )
        for width, viewport in SCREENS.items():
            # An English reader: no note about the Chinese pages in the pictures.
            context = browser.new_context(viewport=viewport, locale="en-GB")
            page = context.new_page()
            for name, path in PAGES.items():
                for language, prefix in LANGUAGES.items():
                    page.goto(args.base_url + prefix + path, wait_until="networkidle")
                    target = OUT / f"{name}-{language}-{width}.png"
                    target.write_bytes(small_png(page.screenshot()))
                    total += target.stat().st_size
                    print(
                        f"{target.relative_to(ROOT)}  {target.stat().st_size // 1024} KB"
                    )
            context.close()
        browser.close()
    print(f"total {total // 1024} KB")


if __name__ == "__main__":
    main()
