"""SQL helpers the query modules share."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, NoReturn

from pydantic import BaseModel
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.dml import Insert

from dataservice.errors import RecordNotFound, VersionMismatch


async def ping(conn: AsyncConnection) -> None:
    """Round-trip to the database (``SELECT 1``)."""
    await conn.execute(text("SELECT 1"))


def columns_for(
    model: type[BaseModel],
    table: Any,
    *,
    computed: Mapping[str, Any] | None = None,
    skip: Collection[str] = (),
) -> tuple[Any, ...]:
    """The columns that fill ``model``'s fields, in field order: each from ``table``'s column of
    the same name, unless ``computed`` gives an expression for it (labelled with the field's
    name); fields in ``skip`` (and those never serialised) are filled otherwise.

    So a field added to a wire model is read by every query answering with it, once its column
    exists: no column list to edit here.
    """
    special = dict(computed or {})
    return tuple(
        special[name].label(name) if name in special else getattr(table, name)
        for name, field in model.model_fields.items()
        if not field.exclude and name not in skip
    )


def insert_ignoring_conflicts(conn: AsyncConnection, table: Any) -> Insert:
    """An insert that ignores conflicts (``ON CONFLICT DO NOTHING``), atomic on both backends."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt: Insert = dialect.insert(table).on_conflict_do_nothing()
    return stmt


async def raise_missing_or_stale(
    conn: AsyncConnection, column: InstrumentedAttribute[Any], kind: str, key: object
) -> NoReturn:
    """After a conditional write changed nothing: say whether the row is missing or stale."""
    exists = (await conn.execute(select(column).where(column == key))).first()
    raise (VersionMismatch if exists else RecordNotFound)(kind, key)
