"""Token throughput: verifications per second with a cached JWKS, and tokens issued per second.

Run: ``.venv/bin/python bench/tokens.py [--verify N] [--issue N] [--concurrency C]``.
Prints figures; asserts nothing. Everything runs in this one process: the TokenDealer app is
driven through Quart's ASGI test client, the verifier is the one every service uses.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import jwt
import structlog

from jeeves_shared.auth import StaticJwksSource, TokenVerifier
from tokendealer.app import create_app
from tokendealer.clients import DEV_CLIENT_ID, DEV_CLIENT_SECRET
from tokendealer.keys import KeyRing, SigningKey, generate_private_key
from tokendealer.settings import TokenDealerSettings
from tokendealer.tokens import issue_token

TOKEN_FORM = {
    "grant_type": "client_credentials",
    "client_id": DEV_CLIENT_ID,
    "client_secret": DEV_CLIENT_SECRET,
    "scope": "users:read",
}


async def rate(count: int, step: Callable[[int], Awaitable[object]], concurrency: int = 1) -> float:
    """Operations per second of ``count`` calls of ``step``, ``concurrency`` at a time."""

    async def worker(offset: int) -> None:
        for i in range(offset, count, concurrency):
            await step(i)

    started = time.perf_counter()
    await asyncio.gather(*(worker(offset) for offset in range(concurrency)))
    return count / (time.perf_counter() - started)


def report(label: str, figure: float) -> None:
    """Print one figure, aligned."""
    print(f"{label:<52} {figure:10,.0f} tokens/s")


async def bench_verify(count: int) -> None:
    keys = KeyRing([SigningKey.from_private_key(generate_private_key())])
    tokens = [
        issue_token(
            keys,
            issuer="jeeves-tokendealer",
            client_id="bench",
            audience="dataservice",
            scopes=frozenset({"users:read"}),
            lifetime=900,
            now=time.time(),
        ).access_token
        for _ in range(100)
    ]
    # A one-entry cache over 100 tokens in turn: every call checks the signature in full.
    verifier = TokenVerifier(StaticJwksSource(keys.jwks()), audience="dataservice", cache_size=1)
    cached = TokenVerifier(StaticJwksSource(keys.jwks()), audience="dataservice")
    await verifier.verify(tokens[0])  # load the key sets once
    await cached.verify(tokens[0])

    async def verify(i: int) -> object:
        return await verifier.verify(tokens[i % 100], scopes=("users:read",))

    async def verify_again(i: int) -> object:
        return await cached.verify(tokens[i % 100], scopes=("users:read",))

    public_key = keys.signing.private_key.public_key()

    async def raw_pyjwt(i: int) -> object:
        return jwt.decode(tokens[i % 100], public_key, algorithms=["RS256"], audience="dataservice")

    report("verify   TokenVerifier.verify, full check (cached JWKS)", await rate(count, verify))
    report("verify   the same tokens again (verified-token cache)", await rate(count, verify_again))
    report("verify   bare jwt.decode, for comparison", await rate(count, raw_pyjwt))

    async def sign(i: int) -> object:
        return keys.sign({"sub": "bench", "i": i})

    report("sign     RS256 signature only", await rate(count // 10, sign))


async def bench_issue(count: int, concurrency: int) -> None:
    app = create_app(TokenDealerSettings(env="dev"))
    async with app.test_app() as test_app:
        client = test_app.test_client()

        async def issue(i: int) -> object:
            response = await client.post("/oauth/token", form=TOKEN_FORM)
            assert response.status_code == 200, response.status_code
            return response

        figure = await rate(count, issue, concurrency)
    report(f"issue    POST /oauth/token via the app, {concurrency} concurrent", figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verify", type=int, default=20_000, help="tokens to verify")
    parser.add_argument("--issue", type=int, default=200, help="tokens to issue")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent token requests")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    asyncio.run(bench_verify(args.verify))
    asyncio.run(bench_issue(args.issue, args.concurrency))


if __name__ == "__main__":
    main()
