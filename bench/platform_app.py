"""What the benchmark serves: wsgi.py's app with the verify page's rate limit lifted.

The public verify page is limited per client address (VERIFY_RATE_LIMIT, 60 per minute),
and every benchmark request comes from 127.0.0.1, so the limit is raised here; the limiter
itself still runs and counts every request. Nothing else differs from `wsgi:app`, unless
BENCH_WITHOUT_WRITE_QUEUE or BENCH_WITHOUT_RL_ACCEL is set: they undo a fix made after
profiling, for the before/after figures in bench/README.md.
"""
import os
import sys

if os.environ.get("BENCH_WITHOUT_RL_ACCEL"):  # before/after figures: ReportLab's pure-Python fallbacks
    sys.modules["_rl_accel"] = None

from course import create_app  # noqa: E402

app = create_app({"VERIFY_RATE_LIMIT": os.environ.get("BENCH_VERIFY_RATE_LIMIT", "1000000000 per minute")})

# For the before/after figures in bench/README.md: the platform as it was before each fix.
if os.environ.get("BENCH_WITHOUT_WRITE_QUEUE"):
    import course

    course.join_sqlite_write_queue = lambda connection: None  # back to SQLite's busy-handler sleeps
