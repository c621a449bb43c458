"""Typed keys for what the application object carries (shared by routes, middleware and assembly)."""

from aiohttp import web

from journeys.engine import JourneyEngine

ENGINE: web.AppKey[JourneyEngine] = web.AppKey("engine", JourneyEngine)
MAX_BODY_BYTES: web.AppKey[int] = web.AppKey("max_body_bytes", int)
BODY_TIMEOUT_SECONDS: web.AppKey[float] = web.AppKey("body_timeout_seconds", float)
