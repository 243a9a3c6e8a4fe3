"""What the benchmark serves: wsgi.py's app with the verify page's rate limit lifted.

The public verify page is limited per client address (VERIFY_RATE_LIMIT, 60 per minute),
and every benchmark request comes from 127.0.0.1, so the limit is raised here; the limiter
itself still runs and counts every request. Two routes are added for reference figures (see
below). Nothing else differs from `wsgi:app`, unless BENCH_WITHOUT_RL_ACCEL is set: it
turns off ReportLab's C accelerator, for the before/after figure in bench/README.md.
"""
import os
import sys

if os.environ.get("BENCH_WITHOUT_RL_ACCEL"):  # before/after figures: ReportLab's pure-Python fallbacks
    sys.modules["_rl_accel"] = None

from flask_login import login_required  # noqa: E402

from course import create_app  # noqa: E402
from bench.floor_app import PAGE  # noqa: E402

app = create_app({"VERIFY_RATE_LIMIT": os.environ.get("BENCH_VERIFY_RATE_LIMIT", "1000000000 per minute")})

# The floor's fixed page, served through everything the platform does around a view: the
# session cookie, the signed-in user's load and session-version check, the session timeouts,
# the security headers, the database session's begin and close. No page can be faster than
# these; bench/README.md reads the page figures against them.
app.add_url_rule("/bench/signed-in-nothing", "bench_signed_in_nothing", login_required(lambda: PAGE))
app.add_url_rule("/bench/public-nothing", "bench_public_nothing", lambda: PAGE)
