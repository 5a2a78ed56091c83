"""Bot token cache under load: the hit rate of ``BotTokens`` while tokens rotate.

Run: ``.venv/bin/python -m bench.bot_tokens [--installations N] [--callers C] [--seconds S]
[--lifetime L]``. Prints figures; asserts nothing.

The real Data Service (SQLite in a temporary folder, served by Hypercorn on 127.0.0.1) holds N
installations whose rotating tokens live ``L`` seconds at the fake Slack; C callers in this
process ask one ``BotTokens`` cache for a random installation's token as fast as they can for S
seconds. The cache is scaled to the short lifetime (it asks for tokens valid ``L/2`` seconds and
hands out none with less than ``L/5`` left), so tokens are refreshed during the run as they
would be every 12 hours. Figures: calls per second, the hit rate, the Data Service requests,
the refreshes Slack accepted and refused (refused must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import structlog
from pydantic import SecretStr

from dataservice.app import create_app
from dataservice.migrate import upgrade
from jeeves_shared.dataclient import DataServiceClient, NewInstallation
from jeeves_shared.installations import BotTokens, InstallationKey
from tests.support.dataclient import make_client
from tests.support.dataservice_fixtures import make_settings, make_verifier
from tests.support.fake_slack import FakeSlack
from tests.support.fake_slack_oauth import Grant
from tests.support.http import serving
from tests.support.installations import slack_settings
from tests.support.tokens import TestIssuer


async def install(data: DataServiceClient, slack: FakeSlack, team: str, lifetime: int) -> None:
    """Install ``team`` with a rotating token living ``lifetime`` seconds."""
    answer = slack.oauth.issue(Grant(team_id=team, expires_in=lifetime))
    await data.save_installation(
        NewInstallation(
            team_id=team,
            bot_user_id="UJEEVESBOT",
            bot_token=SecretStr(answer["access_token"]),
            bot_refresh_token=SecretStr(answer["refresh_token"]),
            bot_token_expires_at=datetime.now(UTC) + timedelta(seconds=lifetime),
        )
    )


async def run(installations: int, callers: int, seconds: float, lifetime: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await upgrade(url)
        issuer = TestIssuer()
        async with FakeSlack() as slack:
            app = create_app(
                make_settings(url, **slack_settings(slack)), verifier=make_verifier(issuer)
            )
            async with serving(app) as base, aiohttp.ClientSession() as session:
                data = make_client(session, base, issuer)
                teams = [f"T{n:04d}" for n in range(installations)]
                for team in teams:
                    await install(data, slack, team, lifetime)
                tokens = BotTokens(
                    data,
                    valid_for=timedelta(seconds=lifetime / 2),
                    min_validity=timedelta(seconds=lifetime / 5),
                )
                deadline = time.monotonic() + seconds

                async def caller() -> None:
                    while time.monotonic() < deadline:
                        await tokens.get(InstallationKey(None, random.choice(teams)))

                started = time.perf_counter()
                await asyncio.gather(*(caller() for _ in range(callers)))
                elapsed = time.perf_counter() - started
        print(f"{'calls':<40} {tokens.gets:>12,}")
        print(f"{'calls per second':<40} {tokens.gets / elapsed:>12,.0f}")
        print(f"{'hit rate':<40} {tokens.hit_rate:>12.4%}")
        print(f"{'Data Service requests':<40} {tokens.fetches:>12,}")
        print(f"{'refreshes accepted by Slack':<40} {len(slack.oauth.refreshes):>12,}")
        print(f"{'refreshes refused by Slack':<40} {len(slack.oauth.refusals):>12,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--installations", type=int, default=50)
    parser.add_argument("--callers", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--lifetime", type=int, default=20, help="token lifetime, seconds")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    print(
        f"BotTokens: {args.installations} installations, {args.callers} callers, "
        f"{args.seconds:g} s, tokens living {args.lifetime} s"
    )
    asyncio.run(run(args.installations, args.callers, args.seconds, args.lifetime))


if __name__ == "__main__":
    main()
