"""Property: whatever is typed into any form or query string, the app never answers 5xx,
and a refused request (4xx) changes nothing stored."""
import hashlib
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from course.core.extensions import db
from tests.factories import sign_in
from tests.routes import build_world, routes

AWKWARD = ["", "0", "-1", "1e309", "0.25", "NaN", "99999999999999999999", "' OR 1=1 --", "<script>alert(1)</script>",
           "\x00", "a\x00b", "\r\n", "../../etc/passwd", "%00", "2026-02-30", "1900-01-01", "y", "on", "\u202e", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
           "=HYPERLINK(\"x\")"]
VALUES = st.one_of(
    st.sampled_from(AWKWARD),
    st.text(max_size=30),
    st.integers(min_value=-10**15, max_value=10**15).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.text(min_size=3000, max_size=3000),
)
QUERY_NAMES = ["next", "page", "q", "since", "until", "course", "body", "profession", "state", "action", "actor", "x"]


class FormCollector(HTMLParser):
    """The POST forms of a page: action and the names of their fields."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, set[str]]] = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "get").lower() == "post":
            self._current = (attrs.get("action") or "", set())
        elif tag in ("input", "select", "textarea", "button") and self._current is not None and attrs.get("name"):
            self._current[1].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form" and self._current is not None:
            self.forms.append(self._current)
            self._current = None


def database_fingerprint() -> str:
    """A hash of every row of every table: equal before and after means nothing was stored."""
    digest = hashlib.sha256()
    db.session.commit()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table).order_by(*table.primary_key.columns)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def collect_targets(app, world, clients):
    """(role, url, field names) for every POST form found on any page, and every GET url."""
    forms, get_urls = {}, []
    with app.test_request_context():
        urls = [(rule, url_for(rule.endpoint, **world.params(rule))) for rule in routes(app)]
    for rule, url in urls:
        if "GET" not in rule.methods:
            continue
        get_urls.append(url)
        for role, client in clients.items():
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            parser = FormCollector()
            parser.feed(response.get_data(as_text=True))
            for action, fields in parser.forms:
                target = urlsplit(urljoin(url, action or url)).path
                if target != "/sign-out":  # signing out would end the session the other forms need
                    forms.setdefault((role, target), set()).update(fields)
    return sorted((role, url, sorted(fields)) for (role, url), fields in forms.items()), get_urls


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_input_causes_a_server_error_or_a_change_when_refused(app, data):
    world = fuzz_world(app)
    kind = data.draw(st.sampled_from(["form", "query"]))
    if kind == "form":
        role, url, fields = data.draw(st.sampled_from(world["forms"]))
        client = world["clients"][role]
        payload = {}
        for field in fields:
            if field.endswith("csrf_token"):
                payload[field] = world["tokens"][role]
            elif data.draw(st.booleans()):
                payload[field] = data.draw(st.lists(VALUES, min_size=1, max_size=2))
        before = database_fingerprint()
        response = client.post(url, data=payload)
    else:
        url = data.draw(st.sampled_from(world["get_urls"]))
        role = data.draw(st.sampled_from(sorted(world["clients"])))
        query = data.draw(st.dictionaries(st.sampled_from(QUERY_NAMES) | st.text(min_size=1, max_size=8), VALUES, max_size=3))
        before = database_fingerprint()
        response = world["clients"][role].get(url, query_string=query)
    assert response.status_code < 500, (url, response.status_code)
    if response.status_code >= 400:
        assert database_fingerprint() == before, f"{url} answered {response.status_code} but changed stored data"


def fuzz_world(app):
    """Built once per app (Hypothesis runs many examples against one test's app)."""
    if "fuzz_world" not in app.extensions:
        app.config.update({"SIGN_IN_RATE_LIMIT": "100000 per minute", "REGISTER_RATE_LIMIT": "100000 per minute",
                           "PASSWORD_RESET_RATE_LIMIT": "100000 per minute", "VERIFY_RATE_LIMIT": "100000 per minute"})
        world = build_world(app)
        clients = {"anonymous": app.test_client()}
        for role, email in world.users.items():
            clients[role] = app.test_client()
            sign_in(clients[role], email)
        forms, get_urls = collect_targets(app, world, clients)
        found = {url for _, url, _ in forms}
        expected = {"/register", "/sign-in", "/forgot-password", "/profile", "/account/password",
                    f"/quiz/attempts/{world.attempt_id}", "/courses/sample-course/credit/ipce",
                    f"/reset-password/{world.reset_token}"}
        assert expected <= found, f"the crawler missed forms: {expected - found}"
        from tests.factories import csrf_token

        tokens = {role: csrf_token(client, "/forgot-password") for role, client in clients.items()}
        app.extensions["fuzz_world"] = {"forms": forms, "get_urls": get_urls, "clients": clients, "tokens": tokens}
    return app.extensions["fuzz_world"]


def test_control_characters_in_any_field_are_refused_without_error_or_change(app):
    """Every field of every form, and a query parameter, holding a NUL byte (which PostgreSQL
    cannot store): a clear 400, and nothing stored."""
    world = fuzz_world(app)
    for role, url, fields in world["forms"]:
        if all(f.endswith("csrf_token") for f in fields):
            continue  # nothing to type into
        payload = {f: (world["tokens"][role] if f.endswith("csrf_token") else "a\x00b") for f in fields}
        before = database_fingerprint()
        response = world["clients"][role].post(url, data=payload)
        assert response.status_code == 400, (role, url, response.status_code)
        assert "control characters" in response.get_data(as_text=True)
        assert database_fingerprint() == before, url
    assert world["clients"]["owner"].get("/courses/sample-course", query_string={"q": "\x01"}).status_code == 400
    assert world["clients"]["anonymous"].get("/verify/abc%00def").status_code == 400
