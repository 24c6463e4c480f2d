"""report.html: escaping, no external URL, sections that did not run, the line diff of each
object's SQL (dbci.report.text_diff), and, in headless Chromium, tab switching, the phone
layout, a real check's diff view at 1280 and 390 px (screenshots kept as test artifacts in
$DBCI_TEST_ARTIFACTS) and a page that makes no request at all.

The browser tests need Debian's `chromium` on PATH. Without it they are skipped, except under
`CI=true`, where a missing Chromium fails them.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dbci.report.html import render_html
from dbci.report.templates import templates_dir

EVIL_NAME = "<img src=x onerror=alert(1)>"
EVIL_MESSAGE = "<script>alert(1)</script> in a comment"
TABS = ("changes", "drift", "code", "dryrun", "build", "deploy", "data")
BROWSER_TIMEOUT = 20  # seconds, for one Chromium run


def rich_report() -> dict[str, Any]:
    """A report.json with every section filled, hostile names included."""
    return {
        "schema": "dbci-report/1",
        "status": "failed",
        "project": "shop",
        "environment": "staging",
        "started_at": "2025-01-02T10:00:00Z",
        "finished_at": "2025-01-02T10:01:05Z",
        "build": {
            "status": "passed",
            "provisioner": "embedded",
            "database": "dbci_build_1a2b",
            "migrations": [
                {
                    "version": "1",
                    "description": "create users",
                    "type": "SQL",
                    "script": "V1__create_users.sql",
                    "checksum": 123,
                    "duration_ms": 42,
                    "status": "success",
                },
                {
                    "version": "2",
                    "description": "add orders",
                    "type": "SQL",
                    "script": "V2__add_orders.sql",
                    "checksum": -77,
                    "duration_ms": 1234,
                    "status": "success",
                },
            ],
            "undo_verified": False,
            "undo": [
                {
                    "version": "2",
                    "script": "U2__add_orders.sql",
                    "status": "broken",
                    "not_restored": ["table public.orders_archive"],
                }
            ],
            "tests": [
                {"name": "t_users.sql", "status": "passed", "message": None, "duration_ms": 5},
                {"name": "t_orders.sql", "status": "failed", "message": "1 <> 2", "duration_ms": 7},
            ],
            "snapshot": "build/build-snapshot.json",
            "duration_ms": 4321,
            "timings": {
                "provision": 2000,
                "migrate": 1500,
                "snapshot": 300,
                "tests": 200,
                "other": 21,
                "teardown": 300,
            },
            "error": None,
        },
        "changes": {
            "from_version": "1",
            "to_version": "3",
            "pending": [
                {
                    "version": "2",
                    "description": "add orders",
                    "type": "SQL",
                    "script": "V2__add_orders.sql",
                    "checksum": -77,
                },
                {
                    "version": "3",
                    "description": "hostile",
                    "type": "SQL",
                    "script": "V3__hostile.sql",
                    "checksum": 5,
                },
            ],
            "objects": [
                {
                    "change": "Add",
                    "type": "table",
                    "schema": "public",
                    "name": "orders",
                    "before_sql": None,
                    "after_sql": "CREATE TABLE public.orders (\n    id bigint NOT NULL\n);",
                },
                {
                    "change": "Change",
                    "type": "table",
                    "schema": "public",
                    "name": EVIL_NAME,
                    "before_sql": "CREATE TABLE x (a int);",
                    "after_sql": "CREATE TABLE x (a int, b text DEFAULT '</pre><b>');",
                },
                {
                    "change": "Drop",
                    "type": "view",
                    "schema": "public",
                    "name": "old_view",
                    "before_sql": "CREATE VIEW public.old_view AS SELECT 1;",
                    "after_sql": None,
                },
            ],
        },
        "drift": {
            "detected": True,
            "source": "rebuild",
            "items": [
                {
                    "change": "Change",
                    "type": "index",
                    "schema": "public",
                    "name": "users_email_idx",
                    "expected_sql": "CREATE INDEX users_email_idx ON public.users (email);",
                    "actual_sql": "CREATE INDEX users_email_idx ON public.users (lower(email));",
                }
            ],
            "repo": [
                {
                    "kind": "checksum",
                    "message": "V1 changed after it was applied",
                    "file": "V1__create_users.sql",
                }
            ],
        },
        "code": {
            "files_checked": 3,
            "files": ["V1__create_users.sql", "V2__add_orders.sql", "V3__hostile.sql"],
            "dialect": "postgres",
            "scope": "pending",
            "fail_on": "error",
            "findings": [
                {
                    "rule": "DBCI001",
                    "severity": "error",
                    "file": "V3__hostile.sql",
                    "line": 4,
                    "column": 1,
                    "message": EVIL_MESSAGE,
                    "source": "dbci",
                },
                {
                    "rule": "LT01",
                    "severity": "warning",
                    "file": "V2__add_orders.sql",
                    "line": 1,
                    "column": 9,
                    "message": "Expected single whitespace",
                    "source": "sqlfluff",
                },
                {
                    "rule": "DBCI010",
                    "severity": "info",
                    "file": "V2__add_orders.sql",
                    "line": None,
                    "column": None,
                    "message": "no transaction control",
                    "source": "dbci",
                },
            ],
        },
        "dryrun": {
            "sql": "-- V2__add_orders.sql\nCREATE TABLE public.orders (id bigint);\n",
            "pending": ["V2__add_orders.sql", "V3__hostile.sql"],
            "error": None,
        },
        "deploy": None,
    }


def empty_report() -> dict[str, Any]:
    """A report.json of a run in which no stage ran."""
    report = rich_report()
    for section in ("build", "changes", "drift", "code", "dryrun", "deploy"):
        report[section] = None
    report["status"] = "passed"
    return report


class _Page(HTMLParser):
    """Collects tag attributes and the text of the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


# --- The page as text ------------------------------------------------------------------------


def test_hostile_names_are_escaped() -> None:
    page = render_html(rich_report())
    assert html.escape(EVIL_NAME, quote=False) in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<script>alert" not in page
    assert "</pre><b>" not in page
    # Only the page's own script: one opening and one closing tag.
    assert page.count("<script") == 1 and page.count("</script>") == 1
    # The text a reader sees carries the names as they were.
    text = "".join(parse(page).text)
    assert EVIL_NAME in text and EVIL_MESSAGE in text


def test_no_external_url() -> None:
    """Nothing the page loads is outside it. Its only web addresses are the links (`<a>`,
    which load nothing) from a known rule id to that rule's documentation."""
    from dbci.analysis.rules_page import rule_url

    page = render_html(rich_report())
    links = [
        (tag, name, value or "")
        for tag, attrs in parse(page).tags
        for name, value in attrs.items()
        if name in ("src", "href", "srcset", "action", "poster", "data")
    ]
    assert ("link", "href", "data:,") in links  # the favicon: no request for /favicon.ico
    docs = {rule_url("LT01", "sqlfluff")}  # rich_report's one known rule id
    assert [v for t, _, v in links if t == "a"] == list(docs)
    for tag, name, value in links:
        if tag == "a" and value in docs:
            continue
        assert not re.match(r"\s*(https?:|//|ftp:)", value, re.I), (tag, name, value)
    for doc in docs:
        page = page.replace(f'href="{doc}"', 'href="#doc"')
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert not re.search(r"@import|url\(", page, re.I)


def test_structure() -> None:
    page = render_html(rich_report(), title="Shop <staging>")
    doc = parse(page)
    buttons = [attrs for tag, attrs in doc.tags if tag == "button"]
    assert [b["data-tab"] for b in buttons] == list(TABS)
    assert all(b.get("type") == "button" and b.get("role") == "tab" for b in buttons)
    panels = [attrs["id"] for tag, attrs in doc.tags if attrs.get("role") == "tabpanel"]
    assert panels == list(TABS)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<title>Shop &lt;staging&gt;</title>" in page
    assert "@media (max-width:" in page
    text = " ".join("".join(doc.text).split())
    assert "failed" in text and "shop" in text and "staging" in text
    assert "1 → 3" in text
    for expected in (
        "V3__hostile.sql:4:1",
        "Expected single whitespace",
        "sqlfluff",
        "CREATE TABLE public.orders (id bigint);",
        "1,234 ms",
        "provision",
        "teardown",
        "table public.orders_archive",
        "t_orders.sql",
        "1 <> 2",
        "V1 changed after it was applied",
        "lower(email)",
    ):
        assert expected in text, expected
    # Object changes and drift items: one diff block each (the dry run's SQL: the one <pre>).
    assert page.count('<div class="sqldiff">') == 4
    assert page.count("<pre>") == 1
    # The changed table and the drifted index: the old line removed, the new one added; the
    # added table and the dropped view: their whole text, every line added or removed.
    assert (
        '<div class="del"><span class="g">−</span>CREATE INDEX users_email_idx ON public.users '
        '(email);</div><div class="ins"><span class="g">+</span>CREATE INDEX users_email_idx ON '
        "public.users (lower(email));</div>"
    ) in page
    assert '<div class="ins"><span class="g">+</span>    id bigint NOT NULL</div>' in page
    assert (
        '<div class="del"><span class="g">−</span>CREATE VIEW public.old_view AS SELECT 1;</div>'
    ) in page
    assert page.count('<span class="g">') == 3 + 2 + 1 + 2


def test_sections_that_did_not_run() -> None:
    page = render_html(empty_report())
    text = " ".join("".join(parse(page).text).split())
    for what in ("Changes", "Drift check", "Code analysis", "Dry run", "Build", "Deploy"):
        assert f"{what}: not run." in text
    assert 'data-initial="changes"' in page
    assert "passed" in text and "not checked" in text
    # A report.json from an older dbci that lacks whole sections renders as well.
    minimal = {"schema": "dbci-report/1", "status": "passed", "project": "p"}
    assert "Build: not run." in render_html(minimal)


def test_first_tab_with_content_opens() -> None:
    report = empty_report()
    report["code"] = rich_report()["code"]
    assert 'data-initial="code"' in render_html(report)
    assert 'data-initial="changes"' in render_html(rich_report())


def test_default_title_and_template_size() -> None:
    assert "<title>dbci report: shop (staging)</title>" in render_html(rich_report())
    template = templates_dir() / "report.html.j2"
    # 28 KiB, up from 20: the diff view's markup and CSS (issue 25) needed the room.
    assert template.stat().st_size < 28 * 1024
    source = template.read_text(encoding="utf-8")
    assert not re.search(r"\|\s*safe\b", source)
    assert not re.search(r"https?:|\burl\(|@import", source, re.I)


def test_sql_diff_marks_lines_and_folds_unchanged_runs() -> None:
    from dbci.report.text_diff import folds, sql_diff

    before = "\n".join(f"line {n}" for n in range(1, 13))
    after = before.replace("line 6", "line 6 changed")
    blocks = sql_diff(before, after)
    assert [(b["fold"], [kind for kind, _ in b["lines"]]) for b in blocks] == [
        (True, ["eq"] * 3),  # lines 1-3 folded, 4-5 kept as context
        (False, ["eq"] * 2),
        (False, ["del"]),
        (False, ["ins"]),
        (False, ["eq"] * 2),
        (True, ["eq"] * 4),  # lines 9-12
    ]
    assert blocks[2]["lines"] == [("del", "line 6")]
    assert blocks[3]["lines"] == [("ins", "line 6 changed")]
    assert folds(before, after) == 2
    # A short run is shown whole; CRLF is a line break; one side missing: the other, whole.
    assert folds("a\r\nb\r\nc", "a\nB\nc") == 0
    assert sql_diff("a\r\nb", "a\nB")[0]["lines"] == [("eq", "a")]
    assert sql_diff(None, "x\ny\n") == [{"fold": False, "lines": [("ins", "x"), ("ins", "y")]}]
    assert sql_diff("x", None) == [{"fold": False, "lines": [("del", "x")]}]
    assert sql_diff(None, None) == []


def test_folded_lines_are_in_a_closed_details() -> None:
    report = rich_report()
    body = [f"    column_{n} int," for n in range(10)]
    report["changes"]["objects"][1]["before_sql"] = "\n".join(["CREATE TABLE x (", *body, ");"])
    report["changes"]["objects"][1]["after_sql"] = "\n".join(["CREATE TABLE x (", *body, "b int);"])
    page = render_html(report)
    assert page.count("<details><summary>9 unchanged lines</summary>") == 1
    assert '<div class="eq"><span class="g"> </span>    column_0 int,</div>' in page
    assert "<details open" not in page


# --- In a browser -----------------------------------------------------------------------------
#
# Headless Chromium will not make its window narrower than 500 px, so the DOM checks load the
# report into two iframes of a wrapper page, 1280 x 900 and 390 x 844 (a phone): the report's
# media queries see the iframe's width. A test-only script appended to the report clicks every
# tab, presses arrow keys and measures the diff blocks; the wrapper copies each frame's
# result into its own DOM, which `--dump-dom` prints. The screenshot is of the report itself at
# --window-size=390,844 (screenshots do honour that width).
#
# Every request Chromium makes goes to a local recording proxy. Chromium itself calls a few
# Google update and sign-in services whatever the flags; those hosts, and only those, are left
# out. A control test shows that a page's own request does reach the proxy.

BROWSER_SERVICES = frozenset(
    {
        "accounts.google.com",
        "clients1.google.com",
        "clients2.google.com",
        "update.googleapis.com",
        "redirector.gvt1.com",
        "safebrowsing.googleapis.com",
        "optimizationguide-pa.googleapis.com",
    }
)

HARNESS = """
<script>
(function () {
  function visible() {
    return [].slice.call(document.querySelectorAll('[role=tabpanel]'))
      .filter(function (p) { return !p.hidden && p.offsetParent !== null; })
      .map(function (p) { return p.id; });
  }
  var result = {initial: visible(), clicks: {}, keys: [], widths: {}};
  var tabs = [].slice.call(document.querySelectorAll('[data-tab]'));
  result.tablist_shown = !document.querySelector('[role=tablist]').hidden;
  tabs.forEach(function (tab) {
    tab.click();
    result.clicks[tab.getAttribute('data-tab')] = {
      visible: visible(), selected: tab.getAttribute('aria-selected')};
    result.widths[tab.getAttribute('data-tab')] = document.documentElement.scrollWidth;
  });
  tabs[0].click();
  tabs[0].focus();
  ['ArrowRight', 'ArrowRight', 'ArrowLeft', 'End', 'Home', 'ArrowLeft'].forEach(function (k) {
    document.activeElement.dispatchEvent(
      new KeyboardEvent('keydown', {key: k, bubbles: true, cancelable: true}));
    result.keys.push([document.activeElement.getAttribute('data-tab'), visible()]);
  });
  tabs[0].click();
  var diffs = [].slice.call(document.querySelectorAll('#changes .sqldiff'));
  result.diffs = diffs.map(function (d) {
    return d.scrollWidth <= d.clientWidth && d.getBoundingClientRect().right <= innerWidth; });
  result.viewport = window.innerWidth;
  result.alerted = window.__alerted || false;
  result.resources = performance.getEntriesByType('resource').map(function (e) {
    return e.name; });
  var out = document.createElement('pre');
  out.id = 'test-result';
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
})();
</script>
"""

WRAPPER = """<!DOCTYPE html>
<html><head><script>
var results = {};
function grab(frame) {
  var found = frame.contentDocument.getElementById('test-result');
  results[frame.id] = found ? JSON.parse(found.textContent) : null;
  document.getElementById('test-result').textContent = JSON.stringify(results);
}
</script></head>
<body style="margin:0">
<iframe id="wide" width="1280" height="900" style="border:0" onload="grab(this)"
  srcdoc="{page}"></iframe>
<iframe id="phone" width="390" height="844" style="border:0" onload="grab(this)"
  srcdoc="{page}"></iframe>
<pre id="test-result"></pre>
</body></html>
"""


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium's path; skipped without it, failed without it under CI=true."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not on PATH (apt-get install -y chromium)")
    return path


class _Recorder(BaseHTTPRequestHandler):
    """A proxy that answers every request with 404 and records its host and path."""

    def _record(self) -> None:
        self.server.seen.append((self.command, self.path))  # type: ignore[attr-defined]
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = do_CONNECT = do_PUT = do_OPTIONS = _record

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Proxy:
    """A recording HTTP proxy on 127.0.0.1, in a thread."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        self.server.seen = []  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def requests(self) -> list[str]:
        """Every request seen but those of Chromium's own services, as `METHOD TARGET`."""
        return [
            f"{method} {target}"
            for method, target in self.server.seen  # type: ignore[attr-defined]
            if _host(target) not in BROWSER_SERVICES
        ]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def _host(target: str) -> str:
    """The host of a proxy request target: `http://host:80/path` or `host:443` (CONNECT)."""
    target = target.split("://", 1)[-1]
    return target.split("/", 1)[0].rsplit(":", 1)[0].lower()


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    recorder = Proxy()
    try:
        yield recorder
    finally:
        recorder.close()


def run_chromium(
    chromium: str, page: Path, proxy: Proxy, *args: str, width: int, height: int
) -> str:
    """Load `page` in headless Chromium, every request sent to `proxy`; Chromium's stdout."""
    command = [
        chromium,
        "--headless=new",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--no-pings",
        "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate",
        "--metrics-recording-only",
        "--hide-scrollbars",
        f"--user-data-dir={page.parent / 'chromium-profile'}",
        f"--proxy-server=http://127.0.0.1:{proxy.port}",
        "--proxy-bypass-list=<-loopback>",  # loopback through the proxy too
        f"--window-size={width},{height}",
        *args,
        page.as_uri(),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def in_frames(page: str, harness: str = HARNESS) -> str:
    """The wrapper page holding `page`, with a test harness, in a wide and a phone frame."""
    alert_trap = "<script>window.alert = function () { window.__alerted = true; };</script>"
    page = page.replace("<head>", "<head>\n" + alert_trap, 1)
    page = page.replace("</body>", harness + "</body>", 1)
    return WRAPPER.replace("{page}", html.escape(page, quote=True))


def frame_results(dom: str) -> dict[str, Any]:
    found = re.search(r'<pre id="test-result">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    results = json.loads(html.unescape(found.group(1)))
    assert set(results) == {"wide", "phone"} and None not in results.values(), results
    return results


def test_browser_tabs_and_layout(chromium: str, proxy: Proxy, tmp_path: Path) -> None:
    page = tmp_path / "frames.html"
    page.write_text(in_frames(render_html(rich_report())), encoding="utf-8")
    results = frame_results(
        run_chromium(chromium, page, proxy, "--dump-dom", width=1700, height=1000)
    )
    wide, phone = results["wide"], results["phone"]
    for result in (wide, phone):
        assert result["tablist_shown"]
        assert result["initial"] == ["changes"]
        for tab in TABS:
            assert result["clicks"][tab] == {"visible": [tab], "selected": "true"}
        assert result["keys"] == [
            ["drift", ["drift"]],
            ["code", ["code"]],
            ["drift", ["drift"]],
            ["data", ["data"]],
            ["changes", ["changes"]],
            ["data", ["data"]],
        ]
        assert result["alerted"] is False
        assert result["resources"] == []
    assert (wide["viewport"], phone["viewport"]) == (1280, 390)
    # Each object's diff block fits its width, on the phone as well.
    assert wide["diffs"] == phone["diffs"] == [True] * 3
    # Nothing on any tab is wider than the phone: long lines wrap.
    assert max(phone["widths"].values()) <= 390, phone["widths"]
    assert proxy.requests() == []


def test_browser_first_tab_with_content(chromium: str, proxy: Proxy, tmp_path: Path) -> None:
    report = empty_report()
    report["dryrun"] = rich_report()["dryrun"]
    page = tmp_path / "frames.html"
    page.write_text(in_frames(render_html(report)), encoding="utf-8")
    results = frame_results(
        run_chromium(chromium, page, proxy, "--dump-dom", width=1700, height=1000)
    )
    assert results["wide"]["initial"] == results["phone"]["initial"] == ["dryrun"]
    assert proxy.requests() == []


def test_browser_phone_screenshot(chromium: str, proxy: Proxy, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(rich_report()), encoding="utf-8")
    shot = tmp_path / "phone.png"
    run_chromium(chromium, page, proxy, f"--screenshot={shot}", width=390, height=844)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (390, 844)
    assert len(data) > 20_000  # a page with text on it, not a blank one
    assert proxy.requests() == []


def test_browser_proxy_sees_a_pages_request(chromium: str, proxy: Proxy, tmp_path: Path) -> None:
    """The control: a page's own request does reach the proxy, so an empty `requests()`
    above means the report made none."""
    page = tmp_path / "control.html"
    page.write_text(
        '<!DOCTYPE html><img src="http://report-assets.invalid/logo.png">', encoding="utf-8"
    )
    run_chromium(chromium, page, proxy, "--dump-dom", width=800, height=600)
    assert "GET http://report-assets.invalid/logo.png" in proxy.requests()


# --- The diff view, from a real check ---------------------------------------------------------
#
# A real `dbci check --changes` against PostgreSQL: a view whose long query changes in one line
# (`price` becomes `price * 0.9`) and an enum, written on one long line, that gains a value.
# Every expected text below is one this SQL wrote.

LEVELS = ("bronze_customer_tier", "silver_customer_tier", "gold_customer_tier")
NEW_LEVEL = "platinum_customer_tier_for_the_very_best_customers"
COLUMNS = ("id", "name", "sku", "category", "brand", "colour", "size")
LATER = ("weight", "stock", "supplier", "warehouse", "level")
_ENUM = ", ".join(f"'{v}'" for v in LEVELS)
_BEFORE = f"{', '.join(COLUMNS)}, price AS sale_price, {', '.join(LATER)}"
_AFTER = f"{', '.join(COLUMNS)}, price * 0.9 AS sale_price, {', '.join(LATER)}"
DIFF_SHOP = {
    "V1__shop.sql": (
        f"CREATE TYPE shop.level AS ENUM ({_ENUM});\n"
        "CREATE TABLE shop.products (id int PRIMARY KEY, name text, sku text, category text,"
        " brand text, colour text, size text, price numeric, weight numeric, stock int,"
        " supplier text, warehouse text, level shop.level);\n"
        f"CREATE VIEW shop.catalogue AS SELECT {_BEFORE} FROM shop.products;\n"
    ),
    "V2__sale.sql": (
        f"ALTER TYPE shop.level ADD VALUE '{NEW_LEVEL}' AFTER 'gold_customer_tier';\n"
        f"CREATE OR REPLACE VIEW shop.catalogue AS SELECT {_AFTER} FROM shop.products;\n"
    ),
}

DIFF_HARNESS = """
<script>
(function () {
  function lines(sel) {
    return [].slice.call(document.querySelectorAll(sel)).map(function (e) {
      var r = e.getBoundingClientRect();
      // checkVisibility: false inside a closed <details> (whose content Chromium lays out
      // as content-visibility: hidden, so a rectangle alone does not tell).
      return {text: e.textContent, cls: e.className, shown: e.checkVisibility() && r.height > 0,
              inside: r.left >= 0 && r.right <= window.innerWidth + 0.5};
    });
  }
  var boxes = document.querySelectorAll('pre, code, .sqldiff, .sqldiff div, .scroll');
  var clipped = [].filter.call(boxes, function (e) {
    return e.offsetParent !== null && e.scrollWidth > e.clientWidth; })
    .map(function (e) { return e.tagName + '.' + e.className + ': ' + e.textContent; });
  var result = {
    viewport: window.innerWidth,
    body: [document.body.scrollWidth, document.body.clientWidth],
    page: [document.documentElement.scrollWidth, window.innerWidth],
    clipped: clipped,
    del: lines('#changes .sqldiff .del'),
    ins: lines('#changes .sqldiff .ins'),
    folded: lines('#changes .sqldiff details > div'),
    summaries: [].map.call(document.querySelectorAll('#changes .sqldiff summary'),
      function (s) { return s.textContent; }),
    open: document.querySelectorAll('#changes .sqldiff details[open]').length,
    resources: performance.getEntriesByType('resource').length};
  var out = document.createElement('pre');
  out.id = 'test-result';
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
})();
</script>
"""


def artifacts_dir(tmp_path: Path) -> Path:
    """Where the screenshots go: $DBCI_TEST_ARTIFACTS (kept by CI), else the test's tmp_path."""
    folder = Path(os.environ.get("DBCI_TEST_ARTIFACTS") or tmp_path) / "report-html"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def diff_report(tmp_path: Path, pg_url: str) -> Path:
    """report.html of a real check of DIFF_SHOP's V2 against PostgreSQL at V1."""
    from support.cli import run_dbci
    from support.projects import write_project

    root = write_project(tmp_path / "p", DIFF_SHOP)
    common = ("--project", root, "--url", pg_url, "--schemas", "shop")
    for args in (("migrate", "--target", "1"), ("check", "--changes"), ("report",)):
        done = run_dbci(*common, *args)
        assert done.returncode == 0, (args, done.stderr)
    return root / "dbci-report" / "report.html"


def test_browser_diff_view_at_1280_and_390(
    diff_report: Path, chromium: str, proxy: Proxy, tmp_path: Path
) -> None:
    source = diff_report.read_text(encoding="utf-8")
    page = tmp_path / "frames.html"
    page.write_text(in_frames(source, DIFF_HARNESS), encoding="utf-8")
    results = frame_results(
        run_chromium(chromium, page, proxy, "--dump-dom", width=1700, height=1000)
    )
    assert (results["wide"]["viewport"], results["phone"]["viewport"]) == (1280, 390)
    for width, result in results.items():
        # Nothing is cut: no box scrolls sideways, nor the page.
        assert result["clipped"] == [], (width, result["clipped"])
        assert result["body"][0] <= result["body"][1], (width, result["body"])
        assert result["page"][0] <= result["page"][1], (width, result["page"])
        # The removed and added lines, marked, whole on screen: the view's changed line and
        # the enum's line that gains the value.
        removed = [(line["cls"], line["text"]) for line in result["del"]]
        added = [(line["cls"], line["text"]) for line in result["ins"]]
        assert all(line["shown"] and line["inside"] for line in result["del"] + result["ins"])
        sale = [text for _, text in added if "sale_price" in text]
        assert len(sale) == 1 and "price * 0.9" in sale[0] and sale[0].startswith("+"), added
        old = [text for _, text in removed if "sale_price" in text]
        assert len(old) == 1 and "0.9" not in old[0] and old[0].startswith("−"), removed
        enum = [text for _, text in added if NEW_LEVEL in text]
        assert len(enum) == 1 and all(level in enum[0] for level in LEVELS), added
        assert [text for _, text in removed if LEVELS[0] in text], removed
        assert {cls for cls, _ in removed} == {"del"} and {cls for cls, _ in added} == {"ins"}
        # The view's unchanged columns: folded, out of sight until opened.
        folded = [line["text"] for line in result["folded"]]
        assert result["folded"] and not any(line["shown"] for line in result["folded"])
        assert any("category" in text for text in folded), folded
        assert result["summaries"] and all(
            re.fullmatch(r"\d+ unchanged lines?", s) for s in result["summaries"]
        ), result["summaries"]
        assert result["open"] == 0 and result["resources"] == 0
    assert proxy.requests() == []

    # Screenshots of the page itself at both widths, kept as test artifacts.
    folder = artifacts_dir(tmp_path)
    for name, width, height in (("diff-1280.png", 1280, 1400), ("diff-390.png", 390, 2000)):
        shot = folder / name
        shot.unlink(missing_ok=True)
        run_chromium(
            chromium, diff_report, proxy, f"--screenshot={shot}", width=width, height=height
        )
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (width, height)
        assert len(data) > 5 * 1024, (name, len(data))
    assert proxy.requests() == []
