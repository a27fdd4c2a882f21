"""The built site in real headless Chromium (Debian's), served on 127.0.0.1 as `ksp site serve`
does."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _realparts import CHROMIUM
from _site_repo import TODAY, make_repo
from ksp.cli.main import main

pytestmark = pytest.mark.browser

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

CONTRAST = """
() => {
  const lum = (rgb) => {
    const [r, g, b] = rgb.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  return [...document.querySelectorAll('.badge, .win, .rating, .note, .adv-title, a, .banner p')]
    .map((el) => {
      let node = el, bg = 'rgba(0, 0, 0, 0)';
      while (node && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
        bg = getComputedStyle(node).backgroundColor; node = node.parentElement;
      }
      if (bg === 'rgba(0, 0, 0, 0)') bg = 'rgb(255, 255, 255)';
      const [a, b] = [lum(getComputedStyle(el).color), lum(bg)].sort((x, y) => y - x);
      return [el.className || el.tagName, (a + 0.05) / (b + 0.05)];
    });
}
"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser")
    repo = make_repo(root / "repo")
    out = root / "public"
    assert main(["site", "build", "--repo", str(repo), "--out", str(out), "--date", TODAY]) == 0
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    import playwright.sync_api as playwright_api  # missing is a failure, never a skip

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium")
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _watch(page: Any, base_url: str) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    # Nothing may leave the machine: the site loads no third-party resource.
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base_url)
               else route.abort())
    return problems


def _crawl(browser: Any, base_url: str) -> dict[str, list[str]]:
    """Every page reachable from the home page, with the internal links found on it."""
    page = browser.new_page()
    problems = _watch(page, base_url)
    seen: dict[str, list[str]] = {}
    todo = [base_url + "index.html"]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        internal = [link.split("#")[0] for link in links if link.startswith(base_url)]
        seen[url] = internal
        todo += [link for link in internal if link.endswith(".html") and link not in seen]
    page.close()
    assert problems == []
    return seen


def test_every_page_loads_cleanly_and_links_resolve(browser: Any, base_url: str) -> None:
    pages = _crawl(browser, base_url)
    assert len(pages) >= 10
    request = browser.new_context().request
    for url in {link for links in pages.values() for link in links}:
        assert request.get(url).status == 200, url


def test_filter_hides_rows(browser: Any, base_url: str) -> None:
    page = browser.new_page()
    problems = _watch(page, base_url)
    page.goto(base_url + "index.html")
    rows = page.locator("#matrix tbody tr")
    total = rows.count()
    assert total >= 5 and page.locator("form.filter").first.is_visible()
    page.fill("#matrix-q", "CVE-2025-5187")
    assert page.locator("#matrix tbody tr:visible").count() == 1
    assert page.locator(".count").first.inner_text() == f"1 of {total} shown"
    page.fill("#matrix-q", "")
    page.select_option("#matrix-s", "gap")
    visible = page.locator("#matrix tbody tr:visible")
    assert 0 < visible.count() < total
    assert "CVE-2025-5187" not in visible.all_inner_texts()[-1]
    page.close()
    assert problems == []


def test_works_without_javascript(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base_url + "index.html")
    assert not page.locator("form.filter").first.is_visible()
    assert page.locator("#matrix tbody tr:visible").count() == page.locator(
        "#matrix tbody tr").count() >= 5
    page.goto(base_url + "minors/v1.32.html")
    assert page.locator("table.series tbody tr").count() == 2
    context.close()


def test_narrow_screen_has_no_horizontal_scroll(browser: Any, base_url: str) -> None:
    pages = _crawl(browser, base_url)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for url in pages:
        page.goto(url)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{url} scrolls sideways at 390px: {width}"
    page.close()


def test_text_contrast(browser: Any, base_url: str) -> None:
    page = browser.new_page()
    for path in ("index.html", "minors/v1.32.html", "advisories/CVE-2025-13281.html"):
        page.goto(base_url + path)
        low = [(name, round(ratio, 2)) for name, ratio in page.evaluate(CONTRAST)
               if ratio < 4.5]
        assert low == [], f"{path}: contrast below 4.5:1: {low[:5]}"
    page.close()


def test_home_page_screenshot(browser: Any, base_url: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base_url + "index.html")
    target = ARTIFACTS / "site-home.png"
    page.screenshot(path=str(target), full_page=True)
    page.close()
    assert target.stat().st_size > 10_000


def test_other_projects_apart_and_decisions_shown(browser: Any, base_url: str) -> None:
    page = browser.new_page()
    problems = _watch(page, base_url)
    page.goto(base_url + "index.html")
    assert "of Kubernetes itself" in page.locator("p.lead").inner_text()
    assert page.locator("#others").is_visible()
    assert page.locator("#others tbody tr").all_inner_texts() == [
        "CVE-2024-7646\nIngress-nginx Annotation Validation Bypass\n\tk8s.io/ingress-nginx\t"
        "other project\tHIGH 8.8\t–"]
    assert "CVE-2024-7646" not in page.locator("#matrix").inner_text()
    page.goto(base_url + "advisories/CVE-2024-10220.html")
    history = page.locator("#history-title + .scroll table tbody tr")
    assert history.count() == 1 and "needs-triage → wont-fix" in history.inner_text()
    page.close()
    assert problems == []
