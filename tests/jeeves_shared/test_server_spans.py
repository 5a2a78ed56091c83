"""The server span of each HTTP request (:class:`~jeeves_shared.observability.tracing.ServerSpans`),
through a Quart app's ASGI interface."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from quart import Quart

from jeeves_shared.observability.tracing import instrument_app

TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
PARENT_ID = 0xB7AD6B7169203331
TRACEPARENT = f"00-{TRACE_ID:032x}-{PARENT_ID:016x}-01"


def server_app() -> Quart:
    app = Quart(__name__)
    instrument_app(app)
    seen: list[int] = []
    app.extensions["seen"] = seen

    @app.get("/things/<int:thing_id>")
    async def thing(thing_id: int) -> str:
        seen.append(trace.get_current_span().get_span_context().span_id)
        return "ok"

    @app.get("/boom")
    async def boom() -> str:
        raise RuntimeError("boom")

    @app.get("/healthz")
    async def healthz() -> str:
        return "ok"

    return app


def only(spans: InMemorySpanExporter) -> ReadableSpan:
    [span] = spans.get_finished_spans()
    return span


async def test_a_request_is_a_server_span_named_by_its_route(
    spans: InMemorySpanExporter,
) -> None:
    app = server_app()
    client = app.test_client()
    response = await client.get(
        "/things/42", headers={"traceparent": TRACEPARENT, "User-Agent": "probe/1"}
    )
    assert response.status_code == 200
    span = only(spans)
    assert (span.name, span.kind) == ("GET /things/<int:thing_id>", SpanKind.SERVER)
    assert span.context.trace_id == TRACE_ID
    assert span.parent is not None and span.parent.span_id == PARENT_ID
    assert app.extensions["seen"] == [span.context.span_id]  # current while the view runs
    assert {
        "http.request.method": "GET",
        "http.route": "/things/<int:thing_id>",
        "url.path": "/things/42",
        "http.response.status_code": 200,
        "user_agent.original": "probe/1",
    }.items() <= dict(span.attributes or {}).items()
    assert span.status.status_code is StatusCode.UNSET


async def test_a_server_error_marks_the_span(spans: InMemorySpanExporter) -> None:
    response = await server_app().test_client().get("/boom")
    assert response.status_code == 500
    span = only(spans)
    assert span.attributes is not None and span.attributes["http.response.status_code"] == 500
    assert span.status.status_code is StatusCode.ERROR
    assert span.context.trace_id != TRACE_ID  # no traceparent: a new trace


async def test_an_unknown_path_is_one_span_name_not_one_per_path(
    spans: InMemorySpanExporter,
) -> None:
    client = server_app().test_client()
    for path in ("/nope", "/things/x", "/../etc"):
        assert (await client.get(path)).status_code == 404
    names = {s.name for s in spans.get_finished_spans()}
    assert names == {"GET"}
    assert all(s.status.status_code is StatusCode.UNSET for s in spans.get_finished_spans())


async def test_probes_are_not_traced(spans: InMemorySpanExporter) -> None:
    assert (await server_app().test_client().get("/healthz")).status_code == 200
    assert spans.get_finished_spans() == ()
