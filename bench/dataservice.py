"""Data Service throughput: authenticated ``GET /api/v1/users/{id}`` through one Hypercorn process.

Run from the repository root, as a module (as a script, this file would shadow the
``dataservice`` package)::

    .venv/bin/python -m bench.dataservice [--backend sqlite|postgres|both] [--duration 10]
        [--concurrency 50] [--rate 500] [--loop uvloop|asyncio]

Needs ``hey`` (``apt-get install -y hey``).

The service runs as in production: ``hypercorn dataservice.asgi:app`` (one worker, uvloop),
configured by ``JEEVES_*`` variables, verifying RS256 tokens against a JWKS it fetches over HTTP
(served here by a static file server). The load generator is ``hey``, a separate process, on
127.0.0.1. Per backend: ``/healthz`` (the HTTP floor), then the GET at saturation
(``--concurrency`` connections, as fast as possible) and at a fixed ``--rate`` (10
connections), reporting requests/s and latency percentiles.
PostgreSQL is a private server started for the run, with its durable defaults. Prints figures;
asserts nothing. Token verification alone is measured by ``bench/tokens.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from dataservice.db import open_database
from dataservice.migrate import upgrade
from dataservice.models import utcnow
from dataservice.queries import get_or_create_user, set_user_setting
from tests.support.postgres import PostgresServer, free_port, start_postgres

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
KID = "bench-key"
USERS = 1000


@dataclass
class Figures:
    """What one ``hey`` run measured."""

    rate: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    ok: int
    other: int


def signing_material(directory: Path) -> str:
    """Write a JWKS to ``directory/jwks.json``; return a token granting ``users:read``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwks = {"keys": [{**jwk, "kid": KID, "alg": "RS256", "use": "sig"}]}
    (directory / "jwks.json").write_text(json.dumps(jwks))
    now = int(time.time())
    claims = {
        "iss": "jeeves-tokendealer",
        "sub": "bench",
        "aud": "dataservice",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
        "scope": "users:read",
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


async def prepare(url: str) -> int:
    """Migrate and seed ``USERS`` users with two settings each; return a user id to read."""
    await upgrade(url)
    database = open_database(url, pool_size=2)
    try:
        async with database.engine.begin() as conn:
            for n in range(USERS):
                user, _ = await get_or_create_user(
                    conn,
                    team_id="TBENCH",
                    slack_user_id=f"U{n:05d}",
                    display_name="Bertie",
                    now=utcnow(),
                )
                for key in ("greeting", "news"):
                    await set_user_setting(
                        conn, user.id, key, "What ho", expected_versions=None, now=utcnow()
                    )
        return USERS // 2
    finally:
        await database.dispose()


@contextmanager
def process(
    command: list[str], env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` for the duration of the block."""
    proc = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    """Poll ``url`` until it answers 200."""
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    raise RuntimeError(f"{url} never became ready")


def hey(
    url: str, token: str, *, seconds: int, connections: int, rate: int | None = None
) -> Figures:
    """Run ``hey`` against ``url``; ``rate`` is the total requests/s, spread over connections."""
    command = ["hey", "-z", f"{seconds}s", "-c", str(connections)]
    if rate is not None:
        command += ["-q", str(max(1, rate // connections))]
    command += ["-H", f"Authorization: Bearer {token}", url]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return parse_hey(out)


def parse_hey(out: str) -> Figures:
    """Pull the figures out of ``hey``'s summary."""

    def percentile(p: int) -> float:
        match = re.search(rf"{p}% in ([\d.]+) secs", out)
        return float(match[1]) * 1000 if match else float("nan")

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    statuses = {int(code): int(n) for code, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", out)}
    return Figures(
        rate=float(rate[1]) if rate else 0.0,
        p50_ms=percentile(50),
        p90_ms=percentile(90),
        p99_ms=percentile(99),
        ok=statuses.get(200, 0),
        other=sum(n for code, n in statuses.items() if code != 200),
    )


def bench_backend(
    name: str, database_url: str, jwks_url: str, token: str, args: argparse.Namespace
) -> None:
    """Serve ``database_url`` with Hypercorn and load it."""
    user_id = asyncio.run(prepare(database_url))
    port = free_port()
    env = {
        **os.environ,
        "JEEVES_ENV": "prod",
        "JEEVES_LOG_LEVEL": "WARNING",
        "JEEVES_DATABASE_URL": database_url,
        "JEEVES_DATASERVICE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "JEEVES_DATASERVICE_JWKS_URL": jwks_url,
    }
    command = [
        str(VENV_BIN / "hypercorn"),
        "dataservice.asgi:app",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--worker-class",
        args.loop,
    ]
    url = f"http://127.0.0.1:{port}/api/v1/users/{user_id}"
    with process(command, env) as server:
        wait_ready(f"http://127.0.0.1:{port}/readyz", server)
        hey(url, token, seconds=2, connections=args.concurrency)  # warm-up: pool, JWKS, caches
        floor = hey(
            f"http://127.0.0.1:{port}/healthz",
            "-",
            seconds=args.duration,
            connections=args.concurrency,
        )
        saturated = hey(url, token, seconds=args.duration, connections=args.concurrency)
        paced = hey(url, token, seconds=args.duration, connections=10, rate=args.rate)
    print_figures(name, "GET /healthz (no auth, no db)", floor)
    print_figures(name, f"saturation, {args.concurrency} connections", saturated)
    print_figures(name, f"fixed rate {args.rate}/s, 10 connections", paced)


def print_figures(backend: str, label: str, figures: Figures) -> None:
    """One line of results."""
    print(
        f"{backend:<10} {label:<34} {figures.rate:8,.0f} req/s   p50 {figures.p50_ms:6.1f} ms"
        f"   p90 {figures.p90_ms:6.1f} ms   p99 {figures.p99_ms:6.1f} ms"
        f"   200s {figures.ok:,}  other {figures.other:,}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rate", type=int, default=500, help="requests/s of the paced run")
    parser.add_argument(
        "--loop", choices=("uvloop", "asyncio"), default="uvloop", help="as `jeeves serve` runs"
    )
    args = parser.parse_args()
    if shutil.which("hey") is None:
        sys.exit("bench/dataservice.py needs hey: apt-get install -y hey")
    with tempfile.TemporaryDirectory(prefix="jeeves-bench-") as folder:
        directory = Path(folder)
        token = signing_material(directory)
        jwks_port = free_port()
        jwks = [
            sys.executable,
            "-m",
            "http.server",
            str(jwks_port),
            "--bind",
            "127.0.0.1",
            "--directory",
            folder,
        ]
        with process(jwks):
            jwks_url = f"http://127.0.0.1:{jwks_port}/jwks.json"
            if args.backend in ("sqlite", "both"):
                bench_backend(
                    "sqlite", f"sqlite+aiosqlite:///{directory / 'bench.db'}", jwks_url, token, args
                )
            if args.backend in ("postgres", "both"):
                bench_postgres(jwks_url, token, args)


def bench_postgres(jwks_url: str, token: str, args: argparse.Namespace) -> None:
    """Start a private PostgreSQL with durable defaults, bench it, stop it."""
    server: PostgresServer = start_postgres(options="")
    try:
        name = asyncio.run(server.create_database())
        bench_backend("postgres", server.url(name), jwks_url, token, args)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
