"""Seconds from a SIGKILL of the router to its consuming again (issue #15, section 4).

    uv run python -m bench.restart [--rounds 5] [--bootstrap 127.0.0.1:29092]
        [--postgres postgresql://postgres@127.0.0.1:55432/postgres]
        [--source DIR] [--instance-id bench-router-1]

One router process (``python -m leadrouter_router``, started as the chaos suite
starts it: its own session, JSON logs) on a fresh PostgreSQL database and topics of
its own, fed a lead on ``leads.scored`` every 50 ms. Each round: wait until the
router commits, SIGKILL its process group, start it again at once (what a
supervisor does at best), and measure until the group's committed offset moves
past where it was at the kill: the first lead consumed again. The median of the
rounds is the figure; each round also says what the seconds went to, read from
the new process's own log (UTC timestamps): the first line (interpreter, imports,
settings, ``create_app``), the migrations checked, the group joined and its
partitions assigned, the app started.

``--instance-id`` sets ``ROUTER_KAFKA__GROUP_INSTANCE_ID`` (static group
membership; a router that does not know the setting ignores it), ``--instance-id
''`` leaves it unset. ``--source DIR`` runs the router from another checkout's
sources (put first on ``PYTHONPATH``), for a before/after in one run::

    mkdir /tmp/before && git archive <commit> runtime schemas services | tar -x -C /tmp/before
    uv run python -m bench.restart --source /tmp/before
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.router_throughput import drop_postgres, fresh_postgres, records
from leadrouter_runtime.topics import ensure_topics, load_specs
from leadrouter_schemas import topics

ROOT = Path(__file__).resolve().parents[1]
FEED_EVERY_S = 0.05
# What each line of the new process's log marks, in the order they happen.
MARKS = (
    ("first log line", lambda line: True),
    (
        "migrations checked",
        # Alembic's first line where it migrates; the router's own line at head.
        lambda line: line.get("event") in ("Will assume transactional DDL.", "db.schema_at_head"),
    ),
    ("group joined", lambda line: str(line.get("event", "")).startswith("Joined group")),
    (
        "partitions assigned",
        lambda line: str(line.get("event", "")).startswith("Setting newly assigned partitions"),
    ),
    ("app started", lambda line: line.get("event") == "router.started"),
)


@dataclass
class Round:
    seconds: float
    marks: dict[str, float] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Router:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self._env = env
        self._logs = logs
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = logs / "router-0.log"
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.log_path = self._logs / f"router-{self.starts}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "leadrouter_router"],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        self.kill()

    def marks(self, since: float) -> dict[str, float]:
        """Seconds from ``since`` (epoch) to each mark in the current process's log."""
        found: dict[str, float] = {}
        for raw in self.log_path.read_text(errors="replace").splitlines():
            try:
                line = json.loads(raw)
                at = datetime.fromisoformat(line["timestamp"]).timestamp()
            except (ValueError, KeyError, TypeError):
                continue
            for name, matches in MARKS:
                if name not in found and matches(line):
                    found[name] = at - since
        return found


class Feed:
    """Produces a lead every ``FEED_EVERY_S`` until stopped."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
        self._topic = topic
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._producer.start()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        values = records(200, random.Random(15))
        n = 0
        while True:
            await self._producer.send_and_wait(self._topic, values[n % len(values)])
            n += 1
            await asyncio.sleep(FEED_EVERY_S)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._producer.stop()


class Committed:
    """The group's committed offsets on the topic, summed over its partitions."""

    def __init__(self, bootstrap: str, group: str, topic: str) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self._group = group
        self._topic = topic

    async def start(self) -> None:
        await self._admin.start()

    async def stop(self) -> None:
        await self._admin.close()

    async def total(self) -> int:
        found: dict[TopicPartition, object] = await self._admin.list_consumer_group_offsets(
            self._group
        )
        return sum(
            max(getattr(meta, "offset", -1), 0)
            for tp, meta in found.items()
            if tp.topic == self._topic
        )

    async def passes(self, floor: int, *, timeout_s: float) -> float:
        """Epoch seconds at which the committed total first exceeds ``floor``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if await self.total() > floor:
                return time.time()
            await asyncio.sleep(0.02)
        raise RuntimeError(f"no commit past {floor} within {timeout_s}s")


async def wait_ready(router: Router, url: str, *, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            if router.process is None or router.process.poll() is not None:
                raise RuntimeError(f"the router exited; see {router.log_path}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(url, timeout=2)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the router is not ready after {timeout_s}s; see {router.log_path}")


async def measure(args: argparse.Namespace) -> list[Round]:
    prefix = f"bench-restart-{uuid.uuid4().hex[:6]}."
    group = f"{prefix}router"
    topic = prefix + topics.LEADS_SCORED
    await ensure_topics(
        args.bootstrap, load_specs(ROOT / "deploy" / "kafka" / "topics.toml"), prefix=prefix
    )
    name, url = await fresh_postgres(args.postgres)
    port = free_port()
    env = {
        **compiled_env(),
        "ROUTER_KAFKA__BOOTSTRAP_SERVERS": args.bootstrap,
        "ROUTER_KAFKA__TOPIC_PREFIX": prefix,
        "ROUTER_KAFKA__GROUP_ID": group,
        "ROUTER_OPS__SCORER_GROUP_ID": f"{prefix}scorer",
        "ROUTER_HTTP__PORT": str(port),
        "ROUTER_DB__URL": url,
        "ROUTER_CRM__URL": f"http://127.0.0.1:{free_port()}/assignments",
        "ROUTER_LOG__JSON": "true",
    }
    if args.instance_id:
        env["ROUTER_KAFKA__GROUP_INSTANCE_ID"] = args.instance_id
    if args.source:
        sources = [str(Path(args.source) / p) for p in ("runtime/src", "schemas/src")]
        sources.append(str(Path(args.source) / "services/router/src"))
        env["PYTHONPATH"] = os.pathsep.join([*sources, env.get("PYTHONPATH", "")])
    logs = Path(tempfile.mkdtemp(prefix="bench-restart-"))
    router = Router(env, logs)
    feed = Feed(args.bootstrap, topic)
    committed = Committed(args.bootstrap, group, topic)
    rounds: list[Round] = []
    try:
        router.start()  # the first start migrates the empty database
        await wait_ready(router, f"http://127.0.0.1:{port}/readyz", timeout_s=120)
        await feed.start()
        await committed.start()
        for n in range(args.rounds):
            # Warm: the running router has committed a lead fed after it started.
            await committed.passes(await committed.total(), timeout_s=120)
            killed = time.time()
            router.kill()  # returns once the process is gone: it commits nothing more
            at_kill = await committed.total()
            router.start()
            consuming = await committed.passes(at_kill, timeout_s=120)
            taken = Round(consuming - killed, router.marks(killed))
            rounds.append(taken)
            steps = ", ".join(f"{mark} {s:.2f}" for mark, s in taken.marks.items())
            print(f"round {n + 1}: {taken.seconds:.2f} s to consuming ({steps})", flush=True)
    finally:
        router.stop()
        await feed.stop()
        await committed.stop()
        await drop_postgres(args.postgres, name)
    print(f"router logs: {logs}")
    return rounds


def compiled_env() -> dict[str, str]:
    """The environment, bytecode allowed: the images ship compiled bytecode
    (``UV_COMPILE_BYTECODE=1``), so a restart there never compiles a module; here the
    first start writes what the measured restarts read."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def imports_s(source: str | None) -> float:
    """Seconds for a fresh interpreter to import the router's app (median of 3, after
    one that writes the bytecode)."""
    env = compiled_env()
    if source:
        paths = ("runtime/src", "schemas/src", "services/router/src")
        env["PYTHONPATH"] = os.pathsep.join(str(Path(source) / p) for p in paths)
    code = (
        "import time; t = time.perf_counter(); import leadrouter_router.app; "
        "print(time.perf_counter() - t)"
    )
    taken = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(4)
    ]
    return statistics.median(taken[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bootstrap", default="127.0.0.1:29092")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:55432/postgres")
    parser.add_argument("--source", help="run the router from this checkout's sources")
    parser.add_argument("--instance-id", default="bench-router-1")
    args = parser.parse_args()
    print(f"cores {os.cpu_count()}, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"import of leadrouter_router.app: {imports_s(args.source):.2f} s (median of 3)")
    rounds = asyncio.run(measure(args))
    median = statistics.median(r.seconds for r in rounds)
    marks = {
        mark: statistics.median(r.marks[mark] for r in rounds if mark in r.marks)
        for mark, _ in MARKS
        if any(mark in r.marks for r in rounds)
    }
    print(f"kill -> consuming again: median {median:.2f} s of {len(rounds)} rounds")
    print("median seconds after the kill: " + ", ".join(f"{m} {s:.2f}" for m, s in marks.items()))
    print(f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
