"""WCAG 1.4.10 Reflow, in a real Chromium: at 320 CSS pixels wide no page scrolls sideways."""
import pytest
from flask import url_for

from tests.routes import build_world, routes

pytestmark = pytest.mark.browser

WIDTH = 320


def _sign_in(page, base, email):
    page.context.clear_cookies()
    if email:
        page.goto(base + "/sign-in")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/sign-in" not in url)


def _chromium_tables(page) -> int:
    """Tables in Chromium's accessibility tree: a table that scrolls in its own box must stay one."""
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    cdp.detach()
    return sum(node.get("role", {}).get("value") == "table" for node in nodes)


def test_every_page_reflows_at_320_css_pixels(live_server, page):
    """Each HTML page of the URL map, as a visitor, the learner who owns the sample data and an
    administrator: the document is no wider than the viewport (a table may scroll inside its own
    box, which WCAG allows for data tables)."""
    app, base = live_server.app, live_server.url
    with app.app_context():
        world = build_world(app)
        with app.test_request_context():
            urls = {rule.endpoint: url_for(rule.endpoint, **world.params(rule))
                    for rule in routes(app) if "GET" in rule.methods}
    page.set_viewport_size({"width": WIDTH, "height": 640})
    visited, too_wide = set(), {}
    for role in ("anonymous", "owner", "admin"):
        _sign_in(page, base, world.users.get(role))
        for endpoint, url in urls.items():
            if not page.request.get(base + url).headers.get("content-type", "").startswith("text/html"):
                continue  # a PDF, CSV or text download
            page.goto(base + url)
            visited.add(endpoint)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                too_wide[f"{role} {url}"] = width
            tables = page.locator("table").count()
            if tables:
                assert _chromium_tables(page) == tables, f"{url}: a table lost its table semantics at {WIDTH}px"
    assert not too_wide, "wider than the viewport: " + "; ".join(f"{u} ({px}px)" for u, px in sorted(too_wide.items()))
    # The pages the issue names, among the rest.
    assert {"credits.certificate_page", "credits.transcript", "pages.course_page", "credits.verify"} <= visited
