"""Pydantic models of the JSON API: what comes in (validated), one module per resource.

The answers that go out are the wire models of :mod:`jeeves_shared.dataclient.models`, shared
with the client. Both are the source of the OpenAPI document (:mod:`dataservice.openapi`), so
the schema served at ``/openapi.json`` and the validation applied to requests cannot drift
apart.
"""
