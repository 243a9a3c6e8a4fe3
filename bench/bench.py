"""The benchmark: every figure as a ratio against a baseline measured in the same run.

Run it with bench/run (which checks the tools first); see bench/README.md for what is
measured and how. `--quick` uses small sizes and short runs to try it out.
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import secrets
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
if os.environ.get("BENCH_WITHOUT_RL_ACCEL"):  # before/after figures (see platform_app.py)
    sys.modules["_rl_accel"] = None
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(BENCH))

import harness  # noqa: E402
import learners  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from harness import Load, Server, wrk  # noqa: E402

from credits.badges.integrity import secret_multikey  # noqa: E402

SLUG = "treatment-resistant-depression"
PAGES = [  # (key, label, expected status, throughput target as a fraction of the floor)
    # Reference figures: the floor's page behind what every request pays (bench/platform_app.py).
    ("signed-in-nothing", "signed-in request, no page work", 200, 0.55),
    ("public-nothing", "public request, no page work", 200, None),
    ("module", "module page", 200, 0.45),
    ("course", "course page", 200, 0.3),
    ("quiz", "quiz page (open attempt)", 200, 0.3),
    ("submit", "quiz submission", 302, 0.25),
    ("claim", "claim page", 200, 0.3),
    ("pdf", "certificate PDF download", 200, 0.25),
    ("verify", "verify page (public)", 200, 0.5),
]
PEER_TARGETS = {"module": 1.0, "verify": 1.0}  # page throughput / the conventional peer's no-work request
POSTGRES_LIMIT = 0.7  # every page on PostgreSQL / the same page on SQLite
LARGE_DB_LATENCY_LIMIT = 1.2
EXPORT_TIME_LIMIT = 2.0
EXPORT_MEMORY_LIMIT = 1.1
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Sizes:
    users: int
    attempts: int
    certificates: int
    export_large: int
    seconds: float  # per wrk run
    rounds: int  # floor-then-page pairs per page; the median pair counts
    readers: int


FULL = Sizes(users=100_000, attempts=1_000_000, certificates=200_000, export_large=1_000_000, seconds=5, rounds=3,
             readers=32)
QUICK = Sizes(users=5_000, attempts=50_000, certificates=10_000, export_large=50_000, seconds=2, rounds=1, readers=8)


def meets(value: float, target: str) -> bool:
    """Whether `value` meets a target written like ">= 0.5" or "<= 1.2"."""
    operator, limit = target.split()
    return value >= float(limit) if operator == ">=" else value <= float(limit)


class Results:
    """The figures, in the order measured: each {"name", "value", "unit", "target", "met"}."""

    def __init__(self):
        self.rows: list[dict] = []
        self.notes: list[str] = []

    def add(self, name: str, value: float | None, unit: str, target: str | None = None, met: bool | None = None,
            digits: int = 2) -> None:
        if value is not None and target is not None and met is not None:
            while digits < 6 and meets(round(value, digits), target) != met:
                digits += 1  # never print a rounded figure that seems to say the opposite of `met`
        value = None if value is None else round(value, digits)
        self.rows.append({"name": name, "value": value, "unit": unit, "target": target, "met": met})
        shown = "n/a" if value is None else f"{value:,}"
        verdict = "" if met is None else ("  met" if met else "  NOT MET")
        print(f"  {name}: {shown} {unit}" + (f"  (target {target}){verdict}" if target else ""), flush=True)

    def table(self) -> str:
        lines = ["| figure | value | unit | target | met |", "| --- | ---: | --- | --- | --- |"]
        for row in self.rows:
            value = "n/a" if row["value"] is None else f"{row['value']:,}"
            met = "" if row["met"] is None else ("yes" if row["met"] else "**no**")
            lines.append(f"| {row['name']} | {value} | {row['unit']} | {row['target'] or ''} | {met} |")
        return "\n".join(lines)


def log(message: str) -> None:
    print(message, flush=True)


class Run:
    """One benchmark run: a temp dir with the content copy, databases, servers and request files."""

    def __init__(self, args, sizes: Sizes):
        self.args, self.sizes = args, sizes
        self.tmp = Path(tempfile.mkdtemp(prefix="ce-bench-"))
        self.results = Results()
        self.redis: subprocess.Popen | None = None
        self.content = self.tmp / "content"
        shutil.copytree(PROJECT / "content", self.content)
        self.secret = secrets.token_hex(32)
        self.env = {
            "APP_ENV": "production", "SECRET_KEY": self.secret, "BASE_URL": "http://127.0.0.1",
            "BADGE_SIGNING_KEY": secret_multikey(Ed25519PrivateKey.generate()),
            "MAIL_URL": "smtp://127.0.0.1:25?tls=none",  # required in production; the benchmark sends no mail
            "CONTENT_DIR": str(self.content),
            "RATELIMIT_STORAGE_URI": self.start_redis(), "FLASK_APP": "wsgi",
            # Bytecode cached outside the tree, as an installed app has it (an empty value turns
            # off a PYTHONDONTWRITEBYTECODE the caller may have set).
            "PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(self.tmp / "pycache"),
        }
        if args.gthread:
            self.env.update(GUNICORN_WORKER_CLASS="gthread", GUNICORN_THREADS=str(args.gthread))
        self.floor: Server | None = None
        wanted = set(args.pages.split(",")) if args.pages else None
        self.pages_measured = [page for page in PAGES if wanted is None or page[0] in wanted]
        self.small: dict[str, Load] = {}
        self.floors: list[float] = []
        self.peers: dict[str, Load] = {}  # by database label: the conventional peer's no-work request
        self.postgres_databases: list[str] = []
        self.batches = 0  # submitter batches so far (each needs its own e-mail prefix)

    # --- set-up and clean-up -----------------------------------------------------------

    def start_redis(self) -> str:
        """Rate-limit counters in a private Redis, as the README says for several workers."""
        if shutil.which("redis-server") is None:
            return "memory://"
        port = harness.free_port()
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.tmp)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(50):
            result = subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True)
            if result.stdout.strip() == "PONG":
                return f"redis://127.0.0.1:{port}/0"
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def cleanup(self) -> None:
        harness.stop_all()
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(timeout=10)
        self.redis = None
        if self.args.keep:
            small = self.db_env(self.tmp / "small.sqlite3")
            lines = [f"export {name}={shlex.quote(small[name])}" for name in (
                "APP_ENV", "SECRET_KEY", "BASE_URL", "BADGE_SIGNING_KEY", "MAIL_URL", "CONTENT_DIR", "DATABASE_URL")]
            (self.tmp / "env.sh").write_text("\n".join(lines) + "\n")
            log(f"kept {self.tmp}; its settings for profile_page.py: . {self.tmp}/env.sh")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        for name in self.postgres_databases:
            postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.postgres_databases = []

    def db_env(self, db: Path | str) -> dict[str, str]:
        """The settings for a SQLite file (a Path) or a database URL (PostgreSQL)."""
        return {**self.env, "DATABASE_URL": f"sqlite:///{db}" if isinstance(db, Path) else db}

    def migrate(self, db: Path | str) -> None:
        subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=PROJECT, env={**os.environ, **self.db_env(db)},
                       check=True, capture_output=True)

    def postgres_database(self, purpose: str) -> str | None:
        """A fresh, migrated PostgreSQL database for this run (dropped at the end); None if there is no server."""
        name = f"ce_bench_{purpose}_{secrets.token_hex(4)}"
        try:
            postgres_admin(f'CREATE DATABASE "{name}"')
        except Exception as error:  # noqa: BLE001 - any failure to reach the server means: not measured
            log(f"  no PostgreSQL at {POSTGRES_ADMIN_URL} ({error}); PostgreSQL figures not measured")
            return None
        self.postgres_databases.append(name)
        url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        self.migrate(url)
        return url

    def app_for(self, db: Path | str):
        """An app object on `db` in this process, to prepare data and sign cookies."""
        for key, value in self.db_env(db).items():
            os.environ[key] = value
        from course import create_app

        return create_app()

    # --- measurements ------------------------------------------------------------------

    def floor_load(self) -> Load:
        load = wrk(self.floor, self.floor_requests, seconds=self.sizes.seconds, connections=self.args.connections)
        self.check(load, "floor")
        self.floors.append(load.rps)
        return load

    def next_to_floor(self, load: Load, floor: Load) -> Load:
        load.floor_rps, load.floor_cpu_per_request = floor.rps, floor.cpu_per_request
        return load

    def check(self, load: Load, what: str) -> None:
        if load.bad or load.errors:
            raise RuntimeError(f"{what}: {load.bad} unexpected responses (first: {load.first_bad}), "
                               f"{load.errors} socket errors")

    def content_and_pdf(self) -> None:
        log("\nContent and certificates (in this process)")
        from course.content.loader import load_catalogue

        times = []
        for _ in range(5):
            started = time.perf_counter()
            catalogue = load_catalogue(self.content)
            times.append(time.perf_counter() - started)
        assert not catalogue.problems, catalogue.problems
        self.catalogue_seconds = statistics.median(times)
        import pdf_speed

        certificate = pdf_speed.sample_certificate()
        url = f"https://ce.example.org/verify/{certificate.code}"
        from credits.pdf import certificate_pdf

        certificate_pdf(certificate, url)  # parses the fonts, once per process
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < min(self.sizes.seconds, 4):
            certificate_pdf(certificate, url)
            count += 1
        self.pdf_per_second = count / (time.perf_counter() - started)

    def prepare(self, db: Path | str, label: str) -> dict[str, Path]:
        """Add the benchmark's learners to `db`; write the request files for every page."""
        app = self.app_for(db)
        course = app.extensions["content"].catalogue().courses[SLUG]
        started = time.perf_counter()
        readers = learners.add_readers(app, course, self.sizes.readers)
        self.app, self.course, self.cookies, self.readers = app, course, learners.Cookies(app), readers
        log(f"  {len(readers)} readers with {sum(len(r.certificate_ids) for r in readers)} certificates "
            f"({time.perf_counter() - started:.1f} s)")
        return self.page_files(label)

    def page_files(self, label: str) -> dict[str, Path]:
        """The request files for every GET page, their session cookies made now (written before each run)."""
        return {name: learners.write_requests(self.tmp / f"{label}-{name}.txt", lines)
                for name, lines in learners.page_requests(self.course, self.readers, self.cookies).items()}

    def submissions(self, db: Path | str, label: str, count: int, round_: int) -> Path:
        started = time.perf_counter()
        self.batches += 1
        prepared = learners.add_submitters(self.app, self.course, count, prefix=f"submitter{self.batches}")
        path = learners.write_requests(self.tmp / f"{label}-submit-{round_}.txt",
                                       learners.submission_requests(prepared, self.cookies))
        log(f"  {len(prepared):,} open attempts to submit ({time.perf_counter() - started:.1f} s)")
        return path

    def peer_load(self, db: Path | str, label: str) -> Load:
        """The conventional peer's signed-in request with no page work, each round right after a floor run."""
        peer = Server("bench.peer_app:app", {**self.db_env(db), "SESSION_COOKIE_NAME": self.cookies.name},
                      self.tmp / f"{label}-peer-gunicorn.log",
                      self.args.workers).start()
        try:
            rounds = []
            for round_ in range(self.sizes.rounds):
                floor = self.floor_load()
                lines = [("GET", "/", cookie, "") for _, _, cookie, _ in
                         (line.split("\t") for line in self.page_files(label)["signed-in-nothing"].read_text().splitlines())]
                requests = learners.write_requests(self.tmp / f"{label}-peer.txt", lines)
                if round_ == 0:
                    wrk(peer, requests, seconds=1, connections=self.args.connections)
                load = self.next_to_floor(wrk(peer, requests, seconds=self.sizes.seconds,
                                              connections=self.args.connections), floor)
                self.check(load, f"{label} peer")
                rounds.append(load)
                log(f"  {'conventional peer, no page work':32s} {load.rps:8.1f} req/s ({load.rps / floor.rps:.3f} of "
                    f"the floor's {floor.rps:.0f}), {load.cpu_per_request * 1000:.2f} ms CPU per request")
            return sorted(rounds, key=lambda load: load.rps / load.floor_rps)[len(rounds) // 2]
        finally:
            peer.stop()

    def pages(self, db: Path | str, label: str) -> dict[str, Load]:
        """Every page under wrk against gunicorn on `db`, each right after a floor run."""
        files = self.prepare(db, label)
        if label != "large":
            self.peers[label] = self.peer_load(db, label)
        server = Server("bench.platform_app:app", self.db_env(db), self.tmp / f"{label}-gunicorn.log",
                        self.args.workers, ready_path="/sign-in").start()
        try:
            for key, path in files.items():  # every page answers as expected before it is loaded
                method, url, cookie, _ = path.read_text().split("\n")[0].split("\t")
                status, body, _ = server.get(url, cookie)
                if status != 200:
                    raise RuntimeError(f"{label} {key} {url}: {status} {body[:300]!r}")
            wrk(server, files["module"], seconds=2, connections=self.args.connections)  # warm the workers
            loads = {}
            for key, name, expect, _ in self.pages_measured:
                rounds = []
                for round_ in range(self.sizes.rounds):
                    floor = self.floor_load()
                    if key == "submit":
                        load = self.submission_load(server, db, f"{label}{round_}", floor)
                    else:
                        files = self.page_files(label)
                        if round_ == 0:
                            wrk(server, files[key], seconds=1, connections=self.args.connections)
                        load = wrk(server, files[key], seconds=self.sizes.seconds,
                                   connections=self.args.connections, expect=expect)
                    self.check(load, f"{label} {key}")
                    self.next_to_floor(load, floor)
                    rounds.append(load)
                    log(f"  {name:32s} {load.rps:8.1f} req/s ({load.rps / floor.rps:.3f} of the floor's "
                        f"{floor.rps:.0f}), p50 {load.p50_ms:.1f} ms, p95 {load.p95_ms:.1f} ms, "
                        f"CPU {load.cpu_per_request * 1000:.2f} ms per request "
                        f"({floor.cpu_per_request / load.cpu_per_request:.3f} of the floor's)")
                # The round with the median ratio to its floor stands for the page (noise from other work on
                # the machine hits a floor run and the page run next to it alike).
                loads[key] = sorted(rounds, key=lambda load: load.rps / load.floor_rps)[len(rounds) // 2]
            if label == "small":
                self.content_change(server, self.page_files(label)["module"])
        finally:
            server.stop()
            from course.core.extensions import db

            with self.app.app_context():
                db.engine.dispose()  # no connection of this process stays open on the database
        return loads

    def submission_load(self, server: Server, db: Path | str, label: str, floor: Load) -> Load:
        """Each submission needs its own open attempt: prepare enough for half the floor's rate, more if used up."""
        count = int(floor.rps * self.sizes.seconds * 0.5) + 200
        for round_ in range(1, 5):
            path = self.submissions(db, label, count, round_)
            load = wrk(server, path, seconds=self.sizes.seconds, connections=self.args.connections,
                       expect=302, once=True)
            if not load.exhausted:
                return load
            log(f"  ran out of open attempts after {load.requests - load.exhausted:,}; preparing more")
            count *= 3
        raise RuntimeError("quiz submissions kept running out of open attempts")

    def content_change(self, server: Server, module_requests: Path) -> None:
        """A request right after a content file changed (the worker re-reads the content) vs a normal one."""
        method, url, cookie, _ = module_requests.read_text().split("\n")[0].split("\t")
        normal = [server.get(url, cookie)[2] for _ in range(40)]
        module_file = self.content / SLUG / "modules" / "pharmacologic.md"
        recheck = self.app.config["CONTENT_RECHECK_SECONDS"]  # a worker looks for changes this often
        after = []
        for _ in range(7):
            stamp = time.time()
            os.utime(module_file, (stamp, stamp))
            time.sleep(recheck + 0.05)
            status, _, seconds = server.get(url, cookie)
            assert status == 200, status
            after.append(seconds)
            for _ in range(2 * self.args.workers):  # let every worker catch up before the next change
                server.get(url, cookie)
        self.content_normal_ms = statistics.median(normal) * 1000
        self.content_after_ms = statistics.median(after) * 1000

    # --- phases ------------------------------------------------------------------------

    def run(self) -> None:
        sizes = self.sizes
        started = time.perf_counter()
        log(f"Temp dir {self.tmp}; gunicorn.conf.py with WEB_CONCURRENCY={self.args.workers}; wrk -t1 "
            f"-c{self.args.connections}, {sizes.seconds} s per run; rate limits in {self.env['RATELIMIT_STORAGE_URI']}")
        self.content_and_pdf()
        empty = self.tmp / "empty.sqlite3"
        self.migrate(empty)
        small, large = self.tmp / "small.sqlite3", self.tmp / "large.sqlite3"
        shutil.copy(empty, small)
        shutil.copy(empty, large)

        self.floor_requests = learners.write_requests(self.tmp / "floor.txt", [("GET", "/", "", "")])
        self.floor = Server("bench.floor_app:app", self.env, self.tmp / "floor-gunicorn.log", self.args.workers).start()
        wrk(self.floor, self.floor_requests, seconds=2, connections=self.args.connections)  # warm up

        log("\nSmall database (only the benchmark's own learners)")
        self.small = self.pages(small, "small")
        self.postgres: dict[str, Load] | None = None
        if not self.args.skip_postgres:
            log("\nPostgreSQL, small database (the same learners)")
            url = self.postgres_database("pages")
            if url is not None:
                self.postgres = self.pages(url, "postgres")

        large_loads = None
        exports = None
        if not self.args.skip_large:
            log(f"\nSeeding the large database: {sizes.users:,} learners, {sizes.attempts:,} attempts, "
                f"{sizes.certificates:,} certificates")
            import seed

            totals = seed.seed(large, users=sizes.users, attempts=sizes.attempts, certificates=sizes.certificates,
                               content=self.content, log=log)
            self.seed_seconds = totals["seconds"]
            log(f"  seeded in {totals['seconds']:.0f} s: {totals}")
            exports = Exports(self, large) if not self.args.skip_exports else None
            if exports is not None and exports.available:
                exports.measure(sizes.certificates)  # exactly the seeded certificates, before the readers claim theirs
                if not self.args.skip_postgres:
                    exports.measure_postgres(sizes.certificates)
            log("\nLarge database")
            large_loads = self.pages(large, "large")
            if exports is not None and exports.available:
                have = exports.count()
                grow = sizes.export_large - have
                log(f"\nGrowing the certificates from {have:,} to {sizes.export_large:,} for the export")
                extra_users = grow // 3 + 100  # 95% complete, with about 3.5 claimable credits each
                more = seed.seed(large, users=extra_users, attempts=int(extra_users * 2.2), certificates=grow,
                                 tag="export", completer_share=0.95, content=self.content, log=log)
                log(f"  seeded in {more['seconds']:.0f} s")
                exports.measure(sizes.export_large)
        self.floor.stop()
        self.report(large_loads, exports)
        log(f"\nTotal time {time.perf_counter() - started:.0f} s")

    # --- the table ---------------------------------------------------------------------

    def report(self, large_loads: dict[str, Load] | None, exports: Exports | None) -> None:
        results = self.results
        floor_rps = statistics.median(self.floors)
        log("\nResults")
        results.add(f"floor: bare Flask page, gunicorn {self.args.workers} workers (median of {len(self.floors)} runs)",
                    floor_rps, "req/s", digits=0)
        peer = self.peers.get("small")
        if peer is not None:
            results.add("conventional peer (Flask-SQLAlchemy + Flask-Login), no page work: throughput / floor",
                        peer.rps / peer.floor_rps, "x floor", digits=3)
            results.add("conventional peer, no page work: throughput", peer.rps, "req/s", digits=0)
            results.add("conventional peer, no page work: CPU per request / the floor's",
                        peer.cpu_per_request / peer.floor_cpu_per_request, "x", digits=2)
        for key, name, _, target in self.pages_measured:
            load = self.small[key]
            ratio = load.rps / load.floor_rps
            results.add(f"{name}: throughput / floor", ratio, "x floor", f">= {target}" if target else None,
                        ratio >= target if target else None, digits=3)
            results.add(f"{name}: throughput", load.rps, "req/s", digits=0)
            results.add(f"{name}: CPU per request", load.cpu_per_request * 1000, "ms", digits=2)
            results.add(f"{name}: floor's CPU per request / this page's", load.floor_cpu_per_request / load.cpu_per_request,
                        "x floor", digits=3)
            if peer is not None:
                ratio = load.rps / peer.rps
                target = PEER_TARGETS.get(key)
                results.add(f"{name}: throughput / conventional peer's no-work request", ratio, "x peer",
                            f">= {target}" if target else None, ratio >= target if target else None, digits=3)
            results.add(f"{name}: p50 latency", load.p50_ms, "ms", digits=1)
            results.add(f"{name}: p95 latency", load.p95_ms, "ms", digits=1)
            if self.postgres:
                on_postgres = self.postgres[key]
                ratio = (on_postgres.rps / on_postgres.floor_rps) / (load.rps / load.floor_rps)
                results.add(f"{name}, PostgreSQL: throughput / floor", on_postgres.rps / on_postgres.floor_rps,
                            "x floor", digits=3)
                results.add(f"{name}, PostgreSQL: CPU per request", on_postgres.cpu_per_request * 1000, "ms", digits=2)
                results.add(f"{name}, PostgreSQL / SQLite (each / its floor)", ratio, "x", f">= {POSTGRES_LIMIT}",
                            ratio >= POSTGRES_LIMIT, digits=3)
            if large_loads:
                large = large_loads[key]
                results.add(f"{name}, large DB: p50 latency", large.p50_ms, "ms", digits=1)
                results.add(f"{name}, large DB: p95 latency", large.p95_ms, "ms", digits=1)
                ratio = large.p50_ms / load.p50_ms
                results.add(f"{name}, large DB: p50 latency / small DB", ratio, "x", f"<= {LARGE_DB_LATENCY_LIMIT}",
                            ratio <= LARGE_DB_LATENCY_LIMIT)
                results.add(f"{name}, large DB: p95 latency / small DB", large.p95_ms / load.p95_ms, "x")
                results.add(f"{name}, large DB: throughput / floor", large.rps / large.floor_rps, "x floor", digits=3)
        if exports is not None and exports.figures:
            exports.report(results)
        elif not self.args.skip_large and not self.args.skip_exports:
            results.notes.append("Exports not measured: reports.exports (completions_csv, `flask reports completions`) "
                                 "is not in this tree yet.")
        results.add("certificate PDFs per second, one process", self.pdf_per_second, "PDF/s", digits=1)
        results.add("certificate PDFs per second, one process / floor req/s", self.pdf_per_second / floor_rps,
                    "x floor", digits=3)
        results.add("content: load and render the whole course from files", self.catalogue_seconds * 1000, "ms",
                    digits=1)
        results.add("content: normal module page request (one client)", self.content_normal_ms, "ms", digits=1)
        results.add("content: first request after a content file changed", self.content_after_ms, "ms", digits=1)
        results.add("content: that request / a normal one", self.content_after_ms / self.content_normal_ms, "x",
                    digits=1)
        self.write(results, self.page_table(large_loads))

    def page_table(self, large_loads: dict[str, Load] | None) -> str:
        """The request figures side by side, one line per page (the same numbers as in results.json)."""
        peer = self.peers.get("small")
        head = "| page | req/s | / floor | target | met | CPU ms/req | floor CPU / CPU | / peer | target | met |"
        rule = "| --- | ---: | ---: | --- | --- | ---: | ---: | ---: | --- | --- |"
        if self.postgres:
            head += " PostgreSQL / floor | PostgreSQL / SQLite | target | met |"
            rule += " ---: | ---: | --- | --- |"
        head += " p50 ms | p95 ms |"
        rule += " ---: | ---: |"
        if large_loads:
            head += " large DB p50 ms | p95 ms | p50 large / small | target | met |"
            rule += " ---: | ---: | ---: | --- | --- |"
        lines = [head, rule]
        verdict = lambda met: "yes" if met else "**no**"  # noqa: E731
        for key, name, _, target in self.pages_measured:
            load = self.small[key]
            ratio = load.rps / load.floor_rps
            met = "" if target is None else verdict(ratio >= target)
            line = (f"| {name} | {load.rps:,.0f} | {ratio:.3f} | {f'>= {target}' if target else ''} | {met} | "
                    f"{load.cpu_per_request * 1000:.2f} | {load.floor_cpu_per_request / load.cpu_per_request:.3f} |")
            peer_target = PEER_TARGETS.get(key)
            if peer is not None:
                to_peer = load.rps / peer.rps
                line += (f" {to_peer:.2f} | {f'>= {peer_target}' if peer_target else ''} | "
                         f"{verdict(to_peer >= peer_target) if peer_target else ''} |")
            else:
                line += " | | |"
            if self.postgres:
                on_postgres = self.postgres[key]
                pg_ratio = on_postgres.rps / on_postgres.floor_rps
                to_sqlite = pg_ratio / ratio
                line += (f" {pg_ratio:.3f} | {to_sqlite:.2f} | >= {POSTGRES_LIMIT} | "
                         f"{verdict(to_sqlite >= POSTGRES_LIMIT)} |")
            line += f" {load.p50_ms:.1f} | {load.p95_ms:.1f} |"
            if large_loads:
                large = large_loads[key]
                scale = large.p50_ms / load.p50_ms
                line += (f" {large.p50_ms:.1f} | {large.p95_ms:.1f} | {scale:.2f} | <= {LARGE_DB_LATENCY_LIMIT} | "
                         f"{verdict(scale <= LARGE_DB_LATENCY_LIMIT)} |")
            lines.append(line)
        if peer is not None:
            lines.append(f"\nConventional peer (bench/peer_app.py), signed-in request with no page work: "
                         f"{peer.rps:,.0f} req/s, {peer.rps / peer.floor_rps:.3f} of the floor, "
                         f"{peer.cpu_per_request * 1000:.2f} ms CPU per request.")
        return "\n".join(lines)

    def write(self, results: Results, pages: str) -> None:
        table = f"{pages}\n\nEvery figure, as in results.json:\n\n{results.table()}"
        print("\n" + table)
        for note in results.notes:
            print(f"note: {note}")
        if self.args.quick or self.args.pages or self.args.skip_large or self.args.skip_postgres or self.args.gthread:
            print("\nnot a full run: results.json and README.md are left as they were")
            return
        (BENCH / "results.json").write_text(json.dumps(results.rows, indent=2, ensure_ascii=False) + "\n")
        readme = BENCH / "README.md"
        start, end = "<!-- results:start -->", "<!-- results:end -->"
        text = readme.read_text() if readme.exists() else f"# Benchmarks\n\n{start}\n{end}\n"
        if start not in text:
            text += f"\n{start}\n{end}\n"
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        body = (f"\nLatest full run: {stamp}, {os.cpu_count()} cores, WEB_CONCURRENCY={self.args.workers}, "
                f"wrk -c{self.args.connections}, {self.sizes.seconds} s per page.\n\n{table}\n")
        if results.notes:
            body += "\n" + "\n".join(f"- {note}" for note in results.notes) + "\n"
        readme.write_text(head + start + body + end + tail)
        print(f"\nwrote {BENCH / 'results.json'} and the table in {readme}")


class Exports:
    """The completions CSV (`flask reports completions -o FILE`) vs the database's own CLI on the same rows."""

    def __init__(self, run: Run, db_file: Path):
        self.run, self.db_file = run, db_file
        self.figures: list[dict] = []
        try:
            import reports.exports  # noqa: F401
            self.available = shutil.which("sqlite3") is not None
        except ImportError:
            self.available = False

    def count(self) -> int:
        import sqlite3

        with sqlite3.connect(self.db_file) as connection:
            return connection.execute("SELECT count(*) FROM certificates").fetchone()[0]

    def export(self, db: Path | str) -> tuple[int, dict]:
        out = self.run.tmp / "export.csv"
        env = {**os.environ, **self.run.db_env(db)}
        figures = timed_child([sys.executable, "-m", "flask", "reports", "completions", "-o", str(out)],
                              self.run.tmp / "peak.json", env=env, cwd=PROJECT)
        rows = count_rows(out)
        out.unlink()
        return rows, figures

    def cli(self, command: list[str], out: Path, **kwargs) -> tuple[int, dict]:
        figures = timed_child(command, self.run.tmp / "peak.json", **kwargs)
        rows = count_rows(out)
        out.unlink()
        return rows, figures

    def statement(self, dialect: str) -> str:
        """`completions_sql` for the states the learners in the database hold and the provider's numbers."""
        import sqlite3

        from course.content.loader import load_catalogue

        with sqlite3.connect(self.db_file) as connection:
            states = [state for (state,) in connection.execute("SELECT DISTINCT state FROM licences ORDER BY state")]
        provider = load_catalogue(self.run.content).provider
        numbers = {approval.id: approval.ce_broker.provider_number
                   for approval in provider.approvals.values() if approval.ce_broker}
        return completions_sql(dialect, states, numbers, provider.zone.key)

    def measure(self, rows_expected: int) -> None:
        log(f"\nExports at {rows_expected:,} certificates")
        app_rows, app = self.export(self.db_file)
        cli_out = self.run.tmp / "export-sqlite3.csv"
        with cli_out.open("wb") as file:
            cli_rows, cli = self.cli(["sqlite3", "-csv", "-header", str(self.db_file), self.statement("sqlite")],
                                     cli_out, stdout=file)
        self.record("SQLite", "sqlite3 -csv", app_rows, app, cli_rows, cli)

    def measure_postgres(self, rows_expected: int) -> None:
        """The same rows copied into PostgreSQL: our export on it vs `psql \\copy` of `completions_sql`."""
        url = self.run.postgres_database("export")
        if url is None:
            return
        log(f"\nExports on PostgreSQL at {rows_expected:,} certificates")
        copied = copy_to_postgres(self.db_file, url)
        log(f"  copied from SQLite: {copied}")
        app_rows, app = self.export(url)
        cli_out = self.run.tmp / "export-psql.csv"
        query = " ".join(self.statement("postgresql").split()).rstrip(";")
        cli_rows, cli = self.cli(["psql", "-X", "-q", url.replace("postgresql+psycopg://", "postgresql://"), "-c",
                                  f"\\copy ({query}) TO '{cli_out}' WITH (FORMAT csv, HEADER)"], cli_out)
        self.record("PostgreSQL", "psql \\copy", app_rows, app, cli_rows, cli)

    def record(self, database: str, cli_name: str, app_rows: int, app: dict, cli_rows: int, cli: dict) -> None:
        if app_rows != cli_rows:
            raise RuntimeError(f"the export wrote {app_rows} rows, {cli_name} {cli_rows}")
        figure = {"database": database, "cli": cli_name, "rows": app_rows, "seconds": app["seconds"],
                  "cpu_seconds": app["cpu_seconds"], "rss_mb": app["max_rss_kb"] / 1024,
                  "cli_seconds": cli["seconds"], "cli_cpu_seconds": cli["cpu_seconds"],
                  "cli_rss_mb": cli["max_rss_kb"] / 1024}
        self.figures.append(figure)
        log(f"  flask reports completions ({database}): {app_rows:,} rows in {app['seconds']:.1f} s "
            f"({app['cpu_seconds']:.1f} s CPU), peak {figure['rss_mb']:.0f} MB; {cli_name}: {cli['seconds']:.1f} s "
            f"({cli['cpu_seconds']:.1f} s CPU in the client), peak {figure['cli_rss_mb']:.0f} MB")

    def report(self, results: Results) -> None:
        for figure in self.figures:
            size = f"{figure['rows']:,} rows, {figure['database']}"
            results.add(f"completions export, {size}: rows per second", figure["rows"] / figure["seconds"], "rows/s",
                        digits=0)
            ratio = figure["seconds"] / figure["cli_seconds"]
            results.add(f"completions export, {size}: time / {figure['cli']} time", ratio,
                        f"x ({figure['seconds']:.1f} s vs {figure['cli_seconds']:.1f} s)", f"<= {EXPORT_TIME_LIMIT}",
                        ratio <= EXPORT_TIME_LIMIT)
            results.add(f"completions export, {size}: CPU time of the command", figure["cpu_seconds"], "s", digits=2)
            results.add(f"completions export, {size}: peak memory (max RSS)", figure["rss_mb"], "MB", digits=0)
        on_sqlite = [figure for figure in self.figures if figure["database"] == "SQLite"]
        if len(on_sqlite) == 2:
            ratio = on_sqlite[1]["rss_mb"] / on_sqlite[0]["rss_mb"]
            results.add("completions export: peak memory at the large size / the small size", ratio, "x",
                        f"<= {EXPORT_MEMORY_LIMIT}", ratio <= EXPORT_MEMORY_LIMIT)


def count_rows(csv_file: Path) -> int:
    with csv_file.open("rb") as file:
        return sum(1 for _ in file) - 1


def postgres_admin(statement: str) -> None:
    """One statement on the PostgreSQL server's maintenance database, outside a transaction."""
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(statement)


# What the PostgreSQL copy of the large database gets, parents first. The attempts' question
# snapshots and answers (about 5 kB each) are not read by the export and are copied as empty
# JSON, so the copy takes seconds instead of writing 6 GB again.
COPIED_TABLES = ("users", "licences", "board_ids", "quiz_attempts", "course_completions", "evaluation_responses",
                 "certificates")
EMPTIED_COLUMNS = {("quiz_attempts", "questions"): "[]", ("quiz_attempts", "answers"): "{}"}


def copy_to_postgres(db_file: Path, url: str) -> dict[str, int]:
    """Copy the export's tables from the SQLite file into the (migrated, empty) PostgreSQL database at `url`."""
    import sqlite3

    import psycopg

    copied = {}
    source = sqlite3.connect(db_file)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as target:
        boolean = set(target.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE data_type = 'boolean'"))
        for table in COPIED_TABLES:
            columns = [row[1] for row in source.execute(f"PRAGMA table_info({table})")]
            select_list = ", ".join(
                f"'{EMPTIED_COLUMNS[table, column]}'" if (table, column) in EMPTIED_COLUMNS
                else f"CASE {column} WHEN 1 THEN 't' WHEN 0 THEN 'f' END" if (table, column) in boolean
                else column for column in columns)
            count = 0
            with target.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in source.execute(f"SELECT {select_list} FROM {table}"):
                    copy.write_row(row)
                    count += 1
            copied[table] = count
        target.commit()
        target.execute("ANALYZE")
    source.close()
    return copied


def completions_sql(dialect: str, states: list[str], provider_numbers: dict[str, str], zone: str) -> str:
    """The rows and columns of reports.exports.completions_csv as one statement written by hand, for
    the sqlite3 CLI (`dialect` "sqlite") or `psql \\copy` ("postgresql").

    Certificates with their learners, licences (all, then one column per state of `states`), best
    passed score per objective, whether the evaluation was submitted, the certificate's course
    title, issue day, approval number, the provider's number per approval (`provider_numbers`)
    and pharmacology hours, in completion-date order. The issue day is the provider's (`zone`) on
    PostgreSQL; SQLite has no time zones, so there it is the UTC day (a little less work than the
    export's conversion).
    """
    postgres = dialect == "postgresql"

    def joined(value: str, order: str) -> str:
        return f"string_agg({value}, '; ' ORDER BY {order})" if postgres else f"group_concat({value}, '; ')"

    per_state = "".join(f",\n         {joined(f'CASE WHEN state = {quoted(state)} THEN number END', 'id')} AS {state.lower()}"
                        for state in states)
    licences_source = "licences" if postgres else "(SELECT user_id, state, number, id FROM licences ORDER BY user_id, id)"
    best_source = ("(SELECT user_id, course_slug, objective_id, round(max(100.0 * score / total))::integer AS best"
                   " FROM quiz_attempts WHERE passed GROUP BY user_id, course_slug, objective_id) AS bests"
                   if postgres else
                   "(SELECT user_id, course_slug, objective_id, CAST(round(max(100.0 * score / total)) AS INTEGER) AS best"
                   " FROM quiz_attempts WHERE passed = 1 GROUP BY user_id, course_slug, objective_id"
                   " ORDER BY user_id, course_slug, objective_id)")
    amount = "trim_scale(c.amount)" if postgres else "c.amount"
    hours = "trim_scale(c.pharmacology_hours)::text" if postgres else "c.pharmacology_hours"
    issue_day = (f"to_char(c.issued_at AT TIME ZONE {quoted(zone)}, 'YYYY-MM-DD')" if postgres
                 else "date(c.issued_at)")
    numbers = " ".join(f"WHEN {quoted(approval)} THEN {quoted(number)}" for approval, number in provider_numbers.items())
    provider_number = f"CASE c.approval_id {numbers} ELSE '' END" if numbers else "''"
    state_columns = "".join(f", coalesce(lic.{state.lower()}, '') AS \"licence_{state}\"" for state in states)
    return f"""
WITH lic AS (
  SELECT user_id, {joined("state || ' ' || number", "id")} AS licences{per_state}
  FROM {licences_source} AS ordered GROUP BY user_id
), best AS (
  SELECT user_id, course_slug, {joined("objective_id || ': ' || best", "objective_id")} AS scores
  FROM {best_source}
  GROUP BY user_id, course_slug
)
SELECT c.learner_name AS learner, u.email, coalesce(u.profession, '') AS profession,
       coalesce(lic.licences, '') AS licences, c.course_slug AS course, c.completion_date,
       coalesce(best.scores, '') AS objective_scores,
       CASE WHEN e.id IS NULL THEN 'no' ELSE 'yes' END AS evaluation_submitted,
       c.approval_body AS body, c.approval_id AS credit_type, {amount} AS amount, c.unit,
       c.code AS certificate_code, c.status, c.course_title, {issue_day} AS issue_date,
       coalesce(c.approval_number, '') AS approval_number, {provider_number} AS provider_number,
       coalesce({hours}, '') AS pharmacology_hours{state_columns}
FROM certificates c
JOIN users u ON u.id = c.user_id
LEFT JOIN lic ON lic.user_id = c.user_id
LEFT JOIN best ON best.user_id = c.user_id AND best.course_slug = c.course_slug
LEFT JOIN evaluation_responses e ON e.user_id = c.user_id AND e.course_slug = c.course_slug
ORDER BY c.completion_date, c.id;
"""


def quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def timed_child(command: list[str], result: Path, **kwargs) -> dict:
    """Run `command` through bench/peak.py: its wall seconds, CPU seconds and peak resident memory (kB)."""
    kwargs.setdefault("stdout", subprocess.DEVNULL)
    process = subprocess.run([sys.executable, str(BENCH / "peak.py"), str(result), *command], stderr=subprocess.PIPE,
                             **kwargs)
    if process.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed: {process.stderr.decode(errors='replace')[-2000:]}")
    return json.loads(result.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure the platform against a bare-Flask floor; see bench/README.md.")
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs, to try it out")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "4")),
                        help="gunicorn workers for the floor and the platform alike (default 4, gunicorn.conf.py's)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8: two per worker)")
    parser.add_argument("--seconds", type=float, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, help="floor-then-page pairs per page (the median counts)")
    parser.add_argument("--skip-large", action="store_true", help="no large database (and no exports)")
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true", help="no PostgreSQL pages or export")
    parser.add_argument("--gthread", type=int, metavar="THREADS",
                        help="gthread workers with this many threads each (default: sync workers)")
    parser.add_argument("--pages", help="only these pages, comma-separated (signed-in-nothing,public-nothing,module,"
                        "course,quiz,submit,claim,pdf,verify): for trying a change; results.json and README.md are "
                        "not written")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (databases, request files, logs)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.seconds:
        sizes = Sizes(**{**sizes.__dict__, "seconds": args.seconds})
    if args.rounds:
        sizes = Sizes(**{**sizes.__dict__, "rounds": args.rounds})
    run = Run(args, sizes)
    atexit.register(run.cleanup)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: sys.exit(130))
    run.run()


if __name__ == "__main__":
    main()
