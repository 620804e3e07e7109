"""The processes the suite starts and kills: services, a broker and a PostgreSQL
cluster of its own. Each runs in a session of its own (its process group), so a
kill reaches all of it, and everything is stopped on the way out, also on failure."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[4]
KAFKA_SH = ROOT / "deploy" / "kafka" / "kafka.sh"
PG_SH = ROOT / "deploy" / "postgres" / "pg.sh"


class ChaosError(Exception):
    """The run could not be set up or brought back (not a checker violation)."""


def free_port(*, pair: bool = False) -> int:
    """A free loopback port (and the next one too, with ``pair``: Kafka's controller)."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if not pair:
            return port
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise ChaosError("no free loopback port")


@dataclass
class Service:
    """``python -m <module>`` with its environment; the health URL tells it is ready."""

    name: str
    module: str
    env: Mapping[str, str]
    health_url: str
    log_path: Path
    process: "subprocess.Popen[bytes] | None" = None
    starts: int = 0

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.alive:
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n--- chaos: start #{self.starts + 1} of {self.name}\n".encode())
            log.flush()
            self.process = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
                [sys.executable, "-m", self.module],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL to its whole process group, then reap it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM (an orderly stop), SIGKILL after ``timeout_s``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout_s)
        self.kill()

    async def wait_ready(self, http: httpx.AsyncClient, *, timeout_s: float) -> float:
        """Seconds until the health URL answered 200; ChaosError at the deadline."""
        started = time.monotonic()
        deadline = started + timeout_s
        while time.monotonic() < deadline:
            if not self.alive:
                raise ChaosError(f"{self.name} exited; see {self.log_path}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(self.health_url, timeout=2)).status_code == 200:
                    return time.monotonic() - started
            await asyncio.sleep(0.2)
        raise ChaosError(f"{self.name} not ready after {timeout_s}s; see {self.log_path}")


async def _script(script: Path, command: str, env: Mapping[str, str], log: Path) -> None:
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            "bash",
            str(script),
            command,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = await asyncio.wait_for(process.wait(), timeout=180)
        except (TimeoutError, asyncio.CancelledError):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            raise
    if code != 0:
        raise ChaosError(f"{script.name} {command} failed ({code}); see {log}")


@dataclass
class Broker:
    """A Kafka broker of the run's own (deploy/kafka/kafka.sh), own port and data dir."""

    port: int
    data_dir: Path
    log_path: Path
    env: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.env = {
            "KAFKA_PORT": str(self.port),
            "KAFKA_DATA_DIR": str(self.data_dir),
            "KAFKA_HEAP_OPTS": "-Xms128m -Xmx384m",
            # A JVM restarted on a busy machine under load: more than the default minute.
            "KAFKA_START_TIMEOUT": "150",
        }

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        await _script(KAFKA_SH, "start", self.env, self.log_path)

    def kill(self) -> bool:
        """``kill -9`` of the broker's JVM; False if it was not running."""
        pidfile = self.data_dir / "kafka.pid"
        try:
            pid = int(pidfile.read_text().strip())
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            return False
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.05)
        return True

    async def clean(self) -> None:
        """Stop it and delete its data."""
        await _script(KAFKA_SH, "clean", self.env, self.log_path)


@dataclass
class Postgres:
    """A PostgreSQL cluster of the run's own (deploy/postgres/pg.sh, own port), so
    that stopping it touches nobody else's database."""

    port: int
    log_path: Path
    database: str = "chaos"

    @property
    def env(self) -> dict[str, str]:
        return {
            "PG_PORT": str(self.port),
            "PG_DATABASE": self.database,
            "PG_FAST": "1",
            "PG_START_TIMEOUT": "150",
        }

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def sqlalchemy_url(self) -> str:
        return self.dsn.replace("postgresql://", "postgresql+asyncpg://")

    async def start(self) -> None:
        await _script(PG_SH, "start", self.env, self.log_path)

    async def stop(self) -> None:
        await _script(PG_SH, "stop", self.env, self.log_path)

    async def clean(self) -> None:
        await _script(PG_SH, "clean", self.env, self.log_path)
