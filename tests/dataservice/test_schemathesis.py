"""Property-based API testing with schemathesis: no 5xx, every answer as documented.

Runs against the ASGI app (its lifespan included) on a SQLite database seeded with a few rows,
so generated ids sometimes exist. Bounded: ``MAX_EXAMPLES`` per operation.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.python import asgi

from dataservice.app import create_app, openapi_bytes
from dataservice.db import open_database
from dataservice.models import utcnow
from dataservice.queries import get_or_create_user, set_user_setting
from tests.support.dataservice_fixtures import ALL_SCOPES, make_settings, make_verifier
from tests.support.tokens import TestIssuer

MAX_EXAMPLES = 20
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]
ISSUER = TestIssuer(audience="dataservice")
# create_app connects to nothing: the database file is prepared by the fixture below, before
# schemathesis starts the app's lifespan on its first request.
DATABASE = Path(tempfile.mkdtemp(prefix="jeeves-schemathesis-")) / "jeeves.db"
APP = create_app(make_settings(f"sqlite+aiosqlite:///{DATABASE}"), verifier=make_verifier(ISSUER))

# 412 is a correct answer to a schema-valid request: an If-Match naming another version.
# A claim with ``lease_seconds`` needs an ``Idempotency-Key``, a rule across the body and a
# header that OpenAPI cannot state (the operation's description does): 422 without one.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        "operations": [
            {
                "include-method": "POST",
                "include-path": "/api/v1/events/{event_id}/claim",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_dict(json.loads(openapi_bytes()), config=CONFIG)
schema.app = APP


async def seed(url: str) -> None:
    """Users 1-3 (T1/U1..U3) with a setting each."""
    database = open_database(url, pool_size=1)
    try:
        async with database.engine.begin() as conn:
            for n in (1, 2, 3):
                user, _ = await get_or_create_user(
                    conn, team_id="T1", slack_user_id=f"U{n}", display_name="", now=utcnow()
                )
                await set_user_setting(
                    conn, user.id, "k", "v", expected_versions=None, now=utcnow()
                )
    finally:
        await database.dispose()


@pytest.fixture(scope="module", autouse=True)
def seeded_database(sqlite_template: Path) -> Iterator[None]:
    """Copy the migrated template into place and seed it; stop the app and clean up after."""
    shutil.copy(sqlite_template, DATABASE)
    asyncio.run(seed(f"sqlite+aiosqlite:///{DATABASE}"))
    yield
    asgi.shutdown_lifespans()  # runs after_serving: closes the engine
    shutil.rmtree(DATABASE.parent, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_conforms_to_its_document(case: schemathesis.Case[Any]) -> None:
    token = ISSUER.mint(scope=" ".join(ALL_SCOPES))
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, base_url="http://testserver"
    )
