"""Walk every page of the seeded demo in headless Chromium at a phone's width and report what overflows.

    .venv/bin/python -m tools.overflow                        (every demo login, 390 px)
    .venv/bin/python -m tools.overflow --as staff.nies --width 360 --per-endpoint 3
    .venv/bin/python -m tools.overflow --as staff.ca --language ru --width 1280 --shots /tmp/ru

``--language`` is the browser's (Accept-Language); in a language other than English each page's interface text
(headings, labels, buttons, table heads, hints, messages: not the records' own words) still in English is listed.
``--shots DIR`` saves a full-page PNG of every page visited.

From the start page it follows every link of the app (downloads and sign-out left out), visiting up to
``--per-endpoint`` addresses of each route, and checks on each page that the document is no wider than the
screen (``scrollWidth`` of the page) and that no item of the navigation is cut. It then lists the GET routes
it never reached, so a page nobody links to is seen too. Exit status 1 when any page overflows.
"""

import argparse
import re
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# Pages that are not pages: downloads, feeds and the sign-out.
SKIPPED_SUFFIXES = (".csv", ".xlsx", ".pdf", ".docx", ".ics", ".svg", ".png", ".html")
SKIPPED_PREFIXES = ("/static/", "/logout", "/feed/", "/exports/", "/imports/templates/")

# What the browser measures: the document's width past the screen, and nav items drawn narrower than their text.
MEASURE = """() => {
  const doc = document.documentElement;
  const nav = document.querySelector('.mainnav');
  const cut = [...document.querySelectorAll('.mainnav a')]
    .filter(a => a.offsetParent !== null)
    .filter(a => a.scrollWidth > a.clientWidth + 1
      || a.getBoundingClientRect().right > nav.getBoundingClientRect().right + 1
      || a.getBoundingClientRect().left < nav.getBoundingClientRect().left - 1)
    .map(a => a.textContent.trim());
  const wide = [...document.querySelectorAll('main *')]
    .filter(el => el.getBoundingClientRect().right > doc.clientWidth + 1)
    .filter(el => !el.closest('.table-scroll, .table, pre, svg'))
    .filter(el => !el.parentElement || el.parentElement.getBoundingClientRect().right <= doc.clientWidth + 1)
    .slice(0, 3)
    .map(el => el.tagName.toLowerCase()
      + (typeof el.className === 'string' && el.className ? '.' + el.className.split(' ').join('.') : '')
      + ' (' + Math.round(el.getBoundingClientRect().width) + 'px)');
  return {width: doc.scrollWidth, screen: doc.clientWidth, cut, wide};
}"""

# The interface's own words on a page, a select's blank first option among them: what a record holds (table cells,
# a record's name, its details, the options of a choice of records) is left out, and so are the words every
# language writes alike.
ENGLISH = r"""() => {
  const chrome = 'h2, h3, h4, label, button, th, legend, summary, caption, nav a, .hint, .help, .flash, .error,'
    + ' .muted, p, li, dt, small, .btn, input[type=submit], option[value=""]';
  const data = 'td, dd, h1, option:not([value=""]), .check-list, pre, code, blockquote, .record, .data, .brand,'
    + ' .user-name, address';
  const alike = /^(Word|MoA|MoU|Excel|Redis|Chromium)$/;  // capitals-only words (TSCC, KMGBF, USD) never match
  const found = new Set();
  for (const el of document.querySelectorAll(chrome)) {
    if (el.closest(data) || (el.tagName === 'OPTION' ? el.closest('select') : el).offsetParent === null) continue;
    for (const node of el.childNodes) {
      const text = (node.nodeType === 3 ? node.textContent : (node.value || '')).trim();
      const words = (text.match(/[A-Za-z][a-z]{2,}/g) || []).filter(w => !alike.test(w));
      if (words.length >= 2 || (words.length === 1 && text.length === words[0].length)) found.add(text.slice(0, 80));
    }
  }
  return [...found];
}"""


@dataclass
class Finding:
    who: str
    path: str
    width: int
    screen: int
    cut: list
    wide: list
    english: tuple = ()

    @property
    def overflows(self) -> bool:
        return self.width > self.screen or bool(self.cut) or any(w.startswith("HTTP") for w in self.wide)

    def __str__(self) -> str:
        parts = [f"{self.who:12} {self.path}: {self.width}px on a {self.screen}px screen"]
        if self.cut:
            parts.append(f"navigation cut: {', '.join(self.cut)}")
        if self.wide:
            parts.append(f"wide: {', '.join(self.wide)}")
        return "; ".join(parts)

    def english_lines(self) -> str:
        return f"{self.who:12} {self.path}: " + " | ".join(self.english)


def endpoint_of(app, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(urlsplit(path).path, method="GET")
    except Exception:  # a 404, a redirect rule or a POST-only route: not a page to walk
        return None
    return endpoint


def skipped(path: str) -> bool:
    bare = urlsplit(path).path
    return bare.startswith(SKIPPED_PREFIXES) or bare.endswith(SKIPPED_SUFFIXES)


# Where the walk starts: the start page, and pages reached by a form rather than a link (the search box).
START = ("/", "/search?q=tsinghua", "/search?q=清华")


def walk(
    page, app, base: str, who: str, per_endpoint: int = 1, limit: int = 600, english: bool = False, shots=None
) -> tuple[list[Finding], set[str]]:
    """Visit the app's pages from START as the signed-in ``page``; return each page's finding and the endpoints seen.

    ``english``: note the interface text still in English; ``shots``: a folder for a PNG of each page."""
    queue = deque(START)
    seen_paths: set[str] = set()
    per: dict[str, int] = {}
    findings = []
    while queue and len(findings) < limit:
        path = queue.popleft()
        endpoint = endpoint_of(app, path)
        if path in seen_paths or endpoint is None or per.get(endpoint, 0) >= per_endpoint:
            continue
        seen_paths.add(path)
        response = page.goto(base + path)
        if response is not None and response.status >= 500:
            findings.append(Finding(who, path, 0, 0, [], [f"HTTP {response.status}"]))
            continue
        if response is None or response.status >= 400 or not page.url.startswith(base):
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        per[endpoint] = per.get(endpoint, 0) + 1
        found = Finding(who, path, **page.evaluate(MEASURE))
        if english:
            found.english = tuple(page.evaluate(ENGLISH))
        if shots is not None:
            name = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "start"
            page.screenshot(path=str(shots / f"{who}-{name[:80]}.png"), full_page=True)
        findings.append(found)
        hrefs = page.eval_on_selector_all("a[href]", "all => all.map(a => a.getAttribute('href'))")
        for href in hrefs:
            if href.startswith("/") and not href.startswith("//") and not skipped(href):
                queue.append(href.split("#")[0])
    return findings, set(per)


def get_pages(app) -> set[str]:
    """The endpoints that serve a page to a GET (downloads and feeds left out)."""
    endpoints = set()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not skipped(rule.rule.split("<")[0].rstrip(".")) and rule.endpoint != "static":
            endpoints.add(rule.endpoint)
    return endpoints


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--as", dest="who", action="append", help="demo login (repeatable); default: every one")
    parser.add_argument("--width", type=int, default=390)
    parser.add_argument("--per-endpoint", type=int, default=2, help="addresses visited per route")
    parser.add_argument("--language", default="en", help="the browser's language (Accept-Language): en, zh-CN, ru")
    parser.add_argument("--shots", type=Path, help="a folder for a full-page PNG of every page visited")
    args = parser.parse_args()
    english = not args.language.startswith("en")
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)

    import logging

    from playwright.sync_api import sync_playwright

    from crm import create_app
    from tools.browser import CHROMIUM, CHROMIUM_ARGS
    from tools.shoot import demo_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("crm").setLevel(logging.CRITICAL)  # a page's error is reported as a finding, once
    base, logins = demo_server()
    app = create_app()
    pages = get_pages(app)
    failed = False
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for who in args.who or sorted(logins):
            context = browser.new_context(viewport={"width": args.width, "height": 800}, locale=args.language)
            page = context.new_page()
            sign_in(page, base, *logins[who])
            findings, reached = walk(page, app, base, who, args.per_endpoint, english=english, shots=args.shots)
            bad = [finding for finding in findings if finding.overflows]
            failed = failed or bool(bad)
            print(f"{who}: {len(findings)} pages at {args.width}px in {args.language}, {len(bad)} overflowing")
            for finding in bad:
                print("  " + str(finding))
            for finding in findings:
                if finding.english:
                    print("  English: " + finding.english_lines())
            unreached = sorted(pages - reached)
            if unreached:
                print(f"  not reached from any link: {', '.join(unreached)}")
            context.close()
        browser.close()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
