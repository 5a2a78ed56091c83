"""HTTP operations: declare each API operation once (its route, required scope, input models
and responses). (Not "routing": in Jeeves that word means AMQP routing keys.)

:class:`Api` registers the Quart route, guards it with the token scope, validates the path,
query string and body into pydantic models (422 on failure) and records an :class:`Operation`
from which :mod:`dataservice.openapi` builds the OpenAPI document::

    @api.operation("GET", "/users/{user_id}", scope="users:read", params={"user_id": RowId},
                   responses={200: User, 404: ErrorBody}, summary="Read a user")
    async def get_user(user_id: int) -> Response: ...

Why not ``quart-schema`` in place of this module and :mod:`dataservice.openapi` (read from its
source, release 0.23; the index now lists 0.25): it cannot serve the same OpenAPI 3.1 document
nor the same error answers. (1) It documents path parameters from Quart's URL converters only
(``string``, ``integer``) and never validates them against a pydantic type: our ``RowId`` bounds
and the patterns of ``SlackId``, ``EventId`` and ``SettingKey`` would vanish from the document
(and from what schemathesis generates), and their 422s with ``loc`` ``["path", name]`` would
still need this code. (2) It answers a failed validation 400 (``RequestSchemaValidationError``,
a ``BadRequest``), and a body that is not JSON fails in Quart's ``get_json`` before any model
sees it; we answer 422 ``invalid_request`` with ``details`` located under ``body``, ``query`` or
``header``. (3) The scope guard, the 401/403/503 answers added to every guarded operation and
the scope named in each description would stay ours. What would remain to delete is the small
part: route registration and the envelope of the document.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from quart import Blueprint, Response, request

from dataservice.errors import InvalidInput
from jeeves_shared.auth.quart_auth import require_scope

View = Callable[..., Awaitable[Response]]
_PLACEHOLDER = re.compile(r"{(\w+)}")


@dataclass(frozen=True)
class Header:
    """A request header an operation honours.

    With ``argument`` set, its value is validated as ``kind`` and passed to the view under that
    name (``None`` when absent, or 422 if ``required``); otherwise it is only documented (the
    view reads it itself).
    """

    description: str
    kind: Any = str
    argument: str | None = None
    required: bool = False


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI document says about one route."""

    method: str
    path: str
    name: str
    summary: str
    description: str
    scope: str | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    params: Mapping[str, Any]
    responses: Mapping[int, type[BaseModel] | None]
    headers: Mapping[str, Header] = field(default_factory=dict)
    body_required: bool = True


class Api:
    """A blueprint plus the :class:`Operation` list describing it."""

    def __init__(self, name: str, *, url_prefix: str = "") -> None:
        self.blueprint = Blueprint(name, __name__, url_prefix=url_prefix or None)
        self.url_prefix = url_prefix
        self.operations: list[Operation] = []

    def operation(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        responses: Mapping[int, type[BaseModel] | None],
        scope: str | None = None,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, Header] | None = None,
        body_required: bool = True,
    ) -> Callable[[View], View]:
        """Register the decorated view for ``method`` ``path`` (``{name}`` placeholders).

        The view receives the validated path parameters as keyword arguments, plus ``body``
        and/or ``query`` models when declared (``body`` is ``None`` for an empty request body
        unless ``body_required``), and the :class:`Header` values it asks for.
        """

        def decorator(view: View) -> View:
            op = Operation(
                method=method,
                path=self.url_prefix + path,
                name=view.__name__,
                summary=summary,
                description=(view.__doc__ or "").strip(),
                scope=scope,
                body=body,
                query=query,
                params=dict(params or {}),
                responses=responses,
                headers=dict(headers or {}),
                body_required=body_required,
            )
            self.operations.append(op)
            handler = _validating(view, op)
            if scope is not None:
                handler = require_scope(scope)(handler)
            rule = _PLACEHOLDER.sub(r"<\1>", path)
            self.blueprint.add_url_rule(rule, op.name, handler, methods=[method])
            return view

        return decorator


def _validating(view: View, op: Operation) -> View:
    adapters = {name: TypeAdapter[Any](kind) for name, kind in op.params.items()}
    header_adapters = {
        name: TypeAdapter[Any](header.kind)
        for name, header in op.headers.items()
        if header.argument
    }

    @wraps(view)
    async def handler(**raw_params: str) -> Response:
        kwargs: dict[str, Any] = {}
        for name, adapter in adapters.items():
            with _invalid("path", name):
                kwargs[name] = adapter.validate_python(raw_params[name])
        for name, adapter in header_adapters.items():
            kwargs[str(op.headers[name].argument)] = _header(name, op.headers[name], adapter)
        if op.query is not None:
            with _invalid("query"):
                kwargs["query"] = op.query.model_validate(request.args.to_dict())
        if op.body is not None:
            raw = await request.get_data()
            with _invalid("body"):
                kwargs["body"] = (
                    op.body.model_validate_json(raw or b"null") if raw or op.body_required else None
                )
        return await view(**kwargs)

    return handler


def _header(name: str, header: Header, adapter: TypeAdapter[Any]) -> Any:
    value = request.headers.get(name)
    if value is None:
        if header.required:
            raise InvalidInput.missing(["header", name])
        return None
    with _invalid("header", name):
        return adapter.validate_python(value)


@contextmanager
def _invalid(*where: str) -> Iterator[None]:
    """Turn a pydantic :class:`ValidationError` into :class:`InvalidInput` located at ``where``."""
    try:
        yield
    except ValidationError as exc:
        raise InvalidInput.from_validation(list(where), exc) from exc
