"""The pages in a real browser: Debian's Chromium driven by Playwright (from PyPI; never
`playwright install`, which would download a browser build).

Every request to a host other than the app's is aborted and counted, so a page that reaches for
a CDN, a font service or a basemap fails its test; console errors (and uncaught exceptions) are
collected. Screenshots go to an artefact folder (KINDMAP_SCREENSHOTS, default a tmp folder);
`Visit.screenshot(name, readme=True)` also refreshes docs/screenshots/<name>.png, the README's,
when KINDMAP_README_SCREENSHOTS=1 (so an ordinary test run never changes tracked files).

Used through the `chromium` and `visit` fixtures of tests/conftest.py:
    def test_x(visit):
        v = visit("/map")            # a fresh page, loaded, with its counters
        assert v.external == [] and v.console_errors == []
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = os.environ.get("KINDMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
ROOT = Path(__file__).resolve().parent.parent
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}


def artefact_dir() -> Path:
    folder = Path(os.environ.get("KINDMAP_SCREENSHOTS") or Path(tempfile.gettempdir()) / "kindmap-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def chromium():
    """A headless Chromium (the system's), for the whole test session."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        import pytest
        pytest.skip(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """One page of the app in its own browser context, with what it tried to fetch elsewhere."""
    page: object
    base_url: str
    external: list[str] = field(default_factory=list)       # aborted: another host's URLs
    console_errors: list[str] = field(default_factory=list)

    def screenshot(self, name: str, readme: bool = False) -> Path:
        path = artefact_dir() / f"{name}.png"
        self.page.screenshot(path=str(path))
        if readme and os.environ.get("KINDMAP_README_SCREENSHOTS") == "1":
            README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            (README_SCREENSHOTS / f"{name}.png").write_bytes(path.read_bytes())
        return path


def open_page(browser, base_url: str, path: str, wait_until: str = "load") -> Visit:
    """``path`` loaded in a fresh context; other hosts' requests aborted and counted."""
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")
    page = context.new_page()
    visit = Visit(page, base_url)
    app_host = urlsplit(base_url).netloc

    def route(request_route):
        url = request_route.request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != app_host:
            visit.external.append(url)
            return request_route.abort()
        return request_route.continue_()

    context.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and visit.console_errors.append(m.text))
    page.on("pageerror", lambda error: visit.console_errors.append(f"uncaught: {error}"))
    page.goto(base_url + path, wait_until=wait_until)
    return visit


def non_blank_share(png: bytes) -> float:
    """Share of pixels that differ from the most common colour: 0 for a blank canvas."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    commonest = max(count for count, _ in image.getcolors(width * height))
    return 1 - commonest / (width * height)
