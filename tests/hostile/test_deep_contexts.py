"""The engine never fails a commit serialising a context: a definition whose mapper wraps the context in itself
on every turn of a loop fails the journey with CONTEXT_TOO_DEEP (what is committed and answered), and an
httpCall response nested deeper than a request body may be is kept as text. On both databases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from journeys.engine.inbound_messages import MAX_BODY_DEPTH
from tests.server.helpers import call
from tests.support import LiveServer

WRAPPING_JOURNEY = """\
apiVersion: v1
kind: Journey
metadata:
  name: deep-context
  version: 1.0.0
  description: Wraps its context in itself until it is too deep to store.
spec:
  start: wrap
  states:
    wrap:
      type: transform
      transform:
        mapper:
          lang: dataweave
          expr: '{ inner: context }'
        target:
          kind: context
      next: wrap
"""


async def test_a_context_wrapped_in_itself_fails_the_journey_instead_of_its_commit(
    start_server: Callable[..., Awaitable[LiveServer]], database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "deep-context.journey.yaml").write_text(WRAPPING_JOURNEY)
    live = await start_server(database_url, definitions=(tmp_path,))
    status, outcome, _ = await call(live, "POST", "/api/v1/journeys/deep-context/start", {"seed": 1})
    assert (status, outcome["phase"], outcome["error"]["code"]) == (200, "Failed", "CONTEXT_TOO_DEEP:wrap"), outcome
    status, stored, _ = await call(live, "GET", f"/api/v1/journeys/{outcome['journeyId']}/result")
    assert (status, stored["error"]["code"]) == (200, "CONTEXT_TOO_DEEP:wrap")


CALLING_JOURNEY = """\
apiVersion: v1
kind: Journey
metadata:
  name: deep-reply
  version: 1.0.0
  description: Calls a service that answers JSON nested too deeply, and ends with what it got.
spec:
  start: fetch
  states:
    fetch:
      type: task
      task:
        kind: httpCall:v1
        method: GET
        url: "http://deep.example.test/reply"
        timeoutMs: 2000
        resultVar: reply
      next: done
    done:
      type: succeed
      outputVar: reply
"""


async def test_a_service_reply_nested_too_deeply_is_kept_as_text(
    start_server: Callable[..., Awaitable[LiveServer]], database_url: str, tmp_path: Path
) -> None:
    deep = "[" * 300 + "]" * 300

    async def reply(_: web.Request) -> web.Response:
        return web.Response(text=deep, content_type="application/json")

    service = web.Application()
    service.router.add_get("/reply", reply)
    runner = web.AppRunner(service)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        (tmp_path / "deep-reply.journey.yaml").write_text(CALLING_JOURNEY)
        rewrites = {"http://deep.example.test": f"http://127.0.0.1:{port}"}
        live = await start_server(database_url, definitions=(tmp_path,), outbound_rewrites=rewrites)
        status, outcome, _ = await call(live, "POST", "/api/v1/journeys/deep-reply/start", {})
        assert (status, outcome["phase"]) == (200, "Succeeded"), outcome
        assert outcome["output"]["body"] == deep  # more than MAX_BODY_DEPTH levels: text, as unparseable JSON is
        assert MAX_BODY_DEPTH < 300
    finally:
        await runner.cleanup()
