"""The floor: a bare Flask app returning a small fixed HTML page.

Served by gunicorn with the platform's own gunicorn.conf.py and worker count, so every page
figure can be read as a fraction of what this server and machine do with no application
work at all: `gunicorn -c gunicorn.conf.py bench.floor_app:app`.
"""
from flask import Flask

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Floor · CE Platform</title>
</head>
<body>
  <main>
    <h1>Managing Treatment-Resistant Depression</h1>
    <p>A fixed page: no database, no session, no template, no content files.
       It measures what gunicorn, Flask and the loopback network cost by themselves.</p>
  </main>
</body>
</html>
"""

app = Flask(__name__)


@app.get("/")
def index():
    return PAGE
