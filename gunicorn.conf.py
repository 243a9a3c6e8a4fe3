"""Production serving: `gunicorn -c gunicorn.conf.py wsgi:app` (see `make serve-prod`).

Workers share nothing in memory that another needs: sessions are signed cookies, data is in
the database, rate-limit counters are in RATELIMIT_STORAGE_URI (Redis), and each worker reads
the content files itself.
"""
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# sync by default; GUNICORN_WORKER_CLASS=gthread with GUNICORN_THREADS=N serves N requests per
# worker at once (each thread keeps its own read connection, course/core/database.py).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
# Workers fork from a master that has imported the app and read the content once, so starting
# or recycling a worker costs a fork instead of about a second of imports and rendering. Nothing
# in the master holds a database connection or a socket: both are opened lazily, per worker.
preload_app = True


def when_ready(server):
    """Read and render the content in the master, so every worker starts with it (copy-on-write)."""
    content = server.app.wsgi().extensions.get("content")  # bench/floor_app.py has none
    if content is not None:
        content.catalogue()
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
