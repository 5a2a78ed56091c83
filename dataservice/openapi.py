"""Build the OpenAPI 3.1 document from the declared operations and their pydantic models.

Nothing here is written by hand but the envelope: every schema is ``model_json_schema`` output
(JSON Schema 2020-12, which OpenAPI 3.1 uses as is), so the document cannot drift from the
validation the views apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from dataservice.operations import Operation
from jeeves_shared.dataclient.models import ErrorBody

REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY_SCHEME = "bearerAuth"
Mode = Literal["validation", "serialization"]

#: Answers any operation guarded by a scope can give, whatever its own responses.
AUTH_RESPONSES: dict[int, type[BaseModel] | None] = {401: ErrorBody, 403: ErrorBody, 503: ErrorBody}


def build_document(operations: Sequence[Operation], *, title: str, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document describing ``operations``."""
    refs, definitions = models_json_schema(list(_models(operations)), ref_template=REF_TEMPLATE)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An access token from the TokenDealer; each operation "
                    "lists the scope it requires.",
                }
            },
        },
    }


def _models(operations: Iterable[Operation]) -> Iterable[tuple[type[BaseModel], Mode]]:
    seen: set[tuple[type[BaseModel], Mode]] = set()
    for op in operations:
        pairs: list[tuple[type[BaseModel], Mode]] = [(op.body, "validation")] if op.body else []
        pairs += [(m, "serialization") for m in _responses(op).values() if m is not None]
        for pair in pairs:
            if pair not in seen:
                seen.add(pair)
                yield pair


def _responses(op: Operation) -> dict[int, type[BaseModel] | None]:
    return {**op.responses, **(AUTH_RESPONSES if op.scope else {})}


def _operation(op: Operation, refs: Mapping[tuple[Any, Mode], Any]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "description": _describe(op),
        "parameters": _parameters(op),
        "responses": {
            str(status): _response(status, None if model is None else refs[model, "serialization"])
            for status, model in sorted(_responses(op).items())
        },
    }
    if op.body is not None:
        document["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": refs[op.body, "validation"]}},
        }
    if op.scope is not None:
        document["security"] = [{SECURITY_SCHEME: [op.scope]}]
    return document


def _describe(op: Operation) -> str:
    scope = f"\n\nRequires a token with scope `{op.scope}`." if op.scope else ""
    return op.description + scope


def _response(status: int, schema: dict[str, Any] | None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": HTTPStatus(status).phrase}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    return response


def _parameters(op: Operation) -> list[dict[str, Any]]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": _schema_of(kind)}
        for name, kind in op.params.items()
    ]
    if op.query is not None:
        parameters += _query_parameters(op.query)
    parameters += [
        {
            "name": name,
            "in": "header",
            "required": header.required,
            "description": header.description,
            "schema": _schema_of(header.kind),
        }
        for name, header in op.headers.items()
    ]
    return parameters


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": _drop_null(prop)}
        for name, prop in schema["properties"].items()
    ]


def _schema_of(kind: Any) -> dict[str, Any]:
    schema: dict[str, Any] = TypeAdapter(kind).json_schema(ref_template=REF_TEMPLATE)
    return schema


def _drop_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than ``null``: keep only the non-null branch."""
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if len(branches) != 1:
        return schema
    rest = {key: value for key, value in schema.items() if key != "anyOf"}
    if rest.get("default", ...) is None:
        del rest["default"]
    return {**rest, **branches[0]}
