"""Production serving: `gunicorn -c gunicorn.conf.py wsgi:app` (see `make serve-prod`).

Workers share nothing in memory that another needs: sessions are signed cookies, data is in
the database, rate-limit counters are in RATELIMIT_STORAGE_URI (Redis), and each worker reads
the content files itself.
"""
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
