"""Profile one page in-process with pyinstrument (bench/requirements.txt), as the bench requests it.

    .venv/bin/python bench/profile_page.py REQUESTS_FILE [COUNT] [--expect STATUS] [--html OUT] [--time-only]

REQUESTS_FILE is one of the request lists bench/run writes (run it with --keep to keep its
temp dir): tab-separated METHOD, PATH, COOKIE, BODY. DATABASE_URL, CONTENT_DIR and SECRET_KEY
must be those of that run (bench/run --keep prints them). The requests go through the Flask
test client, so the profile shows the application's own time without gunicorn and sockets.
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyinstrument import Profiler  # noqa: E402

from course import create_app  # noqa: E402


def read_requests(path: Path) -> list[tuple[str, str, str, str]]:
    rows = []
    for line in path.read_text().splitlines():
        if line:
            method, url, cookie, body = (line.split("\t") + ["", "", ""])[:4]
            rows.append((method, url, cookie, body))
    return rows


def restamp(app, cookie: str) -> str:
    """The same session stamped now: the app renews a cookie older than a minute (accounts/sessions.py),
    which a profile of a replayed file should not include."""
    if "=" not in cookie:
        return cookie
    name, _, value = cookie.partition("=")
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(value)
    stamp = time.time()
    data.update(auth_at=stamp, seen_at=stamp)
    return f"{name}={serializer.dumps(data)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("requests", type=Path)
    parser.add_argument("count", type=int, nargs="?", default=300)
    parser.add_argument("--expect", type=int, default=None)
    parser.add_argument("--html", type=Path)
    parser.add_argument("--time-only", action="store_true", help="time the requests without the profiler")
    args = parser.parse_args()
    app = create_app({"VERIFY_RATE_LIMIT": "1000000000 per minute"})
    client = app.test_client(use_cookies=False)
    rows = [(method, url, restamp(app, cookie), body) for method, url, cookie, body in read_requests(args.requests)]
    once = rows[0][0] == "POST"

    def send(index):
        method, url, cookie, body = rows[index if once else index % len(rows)]
        headers = {"Cookie": cookie, "User-Agent": "ce-bench"}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = client.open(url, method=method, data=body or None, headers=headers,
                               environ_base={"REMOTE_ADDR": "127.0.0.1"})
        expect = args.expect or (302 if method == "POST" else 200)
        if response.status_code != expect:
            sys.exit(f"{method} {url}: {response.status_code}, expected {expect}")
        return response

    for index in range(min(20, len(rows) // 2 if once else 20)):  # warm up: content, fonts, connections
        send(index)
    start = 20 if once else 0
    count = min(args.count, len(rows) - start) if once else args.count
    if args.time_only:
        started = time.process_time()
        for index in range(start, start + count):
            send(index)
        elapsed = time.process_time() - started
        print(f"{count} requests: {1000 * elapsed / count:.2f} ms CPU each (test client, no profiler)")
        return
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    profiler.start()
    for index in range(start, start + count):
        send(index)
    profiler.stop()
    elapsed = time.perf_counter() - started
    print(f"{count} requests in {elapsed:.2f} s: {1000 * elapsed / count:.2f} ms each (with the profiler on)")
    if args.html:
        args.html.write_text(profiler.output_html())
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
