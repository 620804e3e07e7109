"""Real HTTP servers in tests: an ASGI app under uvicorn on a free loopback port,
in the test's own event loop (lifespan included), or a service as a subprocess."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from tests.support.waiting import eventually


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1:<free port>; yield its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    )
    # uvicorn installs signal handlers only from the main thread's run(); serve() does not.
    task = asyncio.create_task(server.serve())

    async def started() -> bool | None:
        if task.done():
            task.result()  # re-raise a failed start-up
        return server.started or None

    try:
        await eventually(started, timeout_s=60, interval_s=0.02, what="server start")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServiceProcess:
    """``python -m <module>`` with the given environment, stopped with SIGTERM."""

    def __init__(self, module: str, env: Mapping[str, str], log_path: Path) -> None:
        self.module = module
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", module],
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    async def wait_ready(self, url: str, *, timeout_s: float = 60.0) -> None:
        async with httpx.AsyncClient(timeout=2) as client:

            async def ready() -> bool | None:
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"{self.module} exited with {self.process.returncode}:\n{self.output()}"
                    )
                try:
                    return (await client.get(url)).status_code == 200 or None
                except httpx.TransportError:
                    return None

            await eventually(ready, timeout_s=timeout_s, what=f"{self.module} ready at {url}")

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode
