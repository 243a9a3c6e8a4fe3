"""Servers and the load generator: gunicorn with the platform's config, wrk with bench/requests.lua."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
LUA = BENCH / "requests.lua"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn -c gunicorn.conf.py APP on a free loopback port, in its own process group."""

    running: list["Server"] = []  # stopped by bench.py's clean-up, whatever happens

    def __init__(self, app: str, env: dict[str, str], log: Path, workers: int, ready_path: str = "/"):
        self.app, self.log_path, self.ready_path = app, log, ready_path
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers)}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "Server":
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", self.app], cwd=PROJECT, env=self.env,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        Server.running.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                urllib.request.urlopen(self.base + self.ready_path, timeout=5).close()
                return self
            except urllib.error.HTTPError:
                return self  # it answers
            except OSError:
                time.sleep(0.2)
        self.stop()
        tail = self.log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"gunicorn ({self.app}) did not start:\n{tail}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # our own group only
                self.process.wait()
        self.process = None
        self.log.close()
        if self in Server.running:
            Server.running.remove(self)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and its workers, including workers that have exited.

        The master's cutime/cstime hold the CPU time of the workers it has reaped (recycled
        after max_requests); the live workers' own time is added from /proc.
        """
        tick = os.sysconf("SC_CLK_TCK")

        def fields(pid: int) -> list[str]:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().rsplit(")", 1)[1].split()

        master = fields(self.process.pid)
        total = sum(int(value) for value in master[11:15])  # utime, stime, cutime, cstime
        for child in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split():
            try:
                total += sum(int(value) for value in fields(int(child))[11:13])
            except FileNotFoundError:
                pass  # exited between the two reads: its time is in the master's cutime now, or at the next read
        return total / tick

    def get(self, path: str, cookie: str = "", user_agent: str = "ce-bench") -> tuple[int, bytes, float]:
        """One request, no redirects followed: (status, body, seconds)."""
        request = urllib.request.Request(self.base + path, headers={"Cookie": cookie, "User-Agent": user_agent})
        opener = urllib.request.build_opener(_NoRedirect)
        started = time.perf_counter()
        try:
            with opener.open(request, timeout=60) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        return status, body, time.perf_counter() - started


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def stop_all() -> None:
    for server in list(Server.running):
        server.stop()


@dataclass
class Load:
    """What one wrk run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int  # socket errors and timeouts
    bad: int  # responses without the expected status
    exhausted: int  # BENCH_ONCE runs that ran out of requests to send
    first_bad: str
    cpu_seconds: float = 0.0  # the server's CPU time during the run (Server.cpu_seconds)
    floor_rps: float = 0.0  # set by bench.py: the floor run next to this one
    floor_cpu_per_request: float = 0.0

    @property
    def cpu_per_request(self) -> float:
        return self.cpu_seconds / self.requests if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def wrk(server: "Server", requests_file: Path, *, seconds: float, connections: int, expect: int = 200,
        once: bool = False) -> Load:
    """Run wrk against `server` replaying `requests_file`; one thread (wrk is not the bottleneck).

    The server's CPU time is read before and after, for the CPU per request.
    """
    base = server.base
    cpu_before = server.cpu_seconds()
    env = {**os.environ, "BENCH_REQUESTS": str(requests_file), "BENCH_EXPECT": str(expect),
           "BENCH_ONCE": "1" if once else "0"}
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
               "-s", str(LUA), base + "/"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120)
    line = next((line for line in result.stdout.splitlines() if line.startswith("BENCH_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    cpu = server.cpu_seconds() - cpu_before
    data = json.loads(line.removeprefix("BENCH_JSON "))
    errors = data["connect_errors"] + data["read_errors"] + data["write_errors"] + data["timeouts"]
    return Load(
        requests=data["requests"], seconds=data["duration_us"] / 1e6, p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000, p99_ms=data["p99_us"] / 1000, errors=errors, bad=data["bad"],
        exhausted=data["exhausted"], first_bad=data["first_bad"], cpu_seconds=cpu,
    )
