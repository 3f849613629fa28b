"""Real PostgreSQL and Redis servers for the test suite, started from the Debian binaries.

PostgreSQL refuses to run as root, so as root the cluster is created and started as the
`postgres` user. Each server lives in a fresh temporary directory on a free port and is
stopped at the end of the run.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found: run scripts/bootstrap --dev")
    return found[-1]


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class PostgresServer:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="guanxi-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/guanxi"

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(
            _as_postgres([_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]),
            check=True,
            capture_output=True,
        )
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start"]),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            _as_postgres([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "guanxi"]),
            check=True,
            capture_output=True,
        )
        return self

    def stop(self) -> None:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is connected to (e.g. the test database), for a
    subprocess. An in-memory SQLite test database cannot be shared: callers skip then."""
    engine, name = settings_dict["ENGINE"], settings_dict["NAME"]
    if engine.endswith("postgresql"):
        auth = settings_dict.get("USER") or ""
        if settings_dict.get("PASSWORD"):
            auth += f":{settings_dict['PASSWORD']}"
        return f"postgres://{auth}@{settings_dict.get('HOST') or '127.0.0.1'}:{settings_dict.get('PORT') or 5432}/{name}"
    if engine.endswith("sqlite3") and name and ":memory:" not in str(name) and "mode=memory" not in str(name):
        return f"sqlite:///{name}"
    raise RuntimeError(f"the database {name!r} cannot be reached from another process")


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a manage.py or celery subprocess against the test database."""
    from django.db import connection

    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(
        DATABASE_URL=database_url(connection.settings_dict),
        DJANGO_SETTINGS_MODULE="guanxi.settings",
        PYTHONPATH=os.pathsep.join([str(SRC), str(ROOT)]),
        PYTHONUNBUFFERED="1",
        DATABASE_CONN_MAX_AGE="0",
    )
    env.update(extra)
    return env


def manage(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """Runs `manage.py <args>` in a subprocess against the test database."""
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=subprocess_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class CeleryWorker:
    """A real `celery -A guanxi worker` subprocess (solo pool, one process) on a Redis broker,
    against the test database. `include` adds task modules (e.g. tests.support.tasks)."""

    def __init__(self, redis_url: str, *, include: tuple[str, ...] = (), log_dir: Path | None = None):
        self.redis_url = redis_url
        self.include = include
        self.log_path = Path(log_dir or tempfile.mkdtemp(prefix="guanxi-worker-")) / "worker.log"
        self.proc: subprocess.Popen | None = None
        self.name = f"test-{os.getpid()}-{free_port()}@localhost"

    def start(self) -> CeleryWorker:
        cmd = [sys.executable, "-m", "celery", "-A", "guanxi", "worker", "--pool=solo", "--concurrency=1"]
        cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO", "-n", self.name]
        for module in self.include:
            cmd += ["--include", module]
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(cmd, cwd=SRC, env=subprocess_env(REDIS_URL=self.redis_url), stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def wait(self, result, timeout: float = 60):
        """The task's return value; fails with the worker's log if the worker died or the
        result did not come in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if result.ready():
                return result.get(timeout=1, propagate=True)
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the celery worker exited with {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.1)
        raise TimeoutError(f"no result for task {result.id} within {timeout}s; worker log:\n{self.log()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()
