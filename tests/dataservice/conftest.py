"""The Data Service's fixtures (:mod:`tests.support.dataservice_fixtures`): a migrated database
on each backend, the app serving on it, tokens to call it."""

from __future__ import annotations

from tests.support.dataservice_fixtures import (  # noqa: F401 - fixtures, found by name
    app,
    auth,
    backend,
    client,
    clock,
    database_url,
    issuer,
    postgres_database,
    postgres_server,
    sqlite_template,
)
