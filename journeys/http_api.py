"""What the HTTP API promises: its path prefix, media types, limits and scopes.

The server enforces these values and the contracts (`journeys.contracts`) document them, so they live here, below
both: the server serves the contracts' documents, and neither may import the other for a constant. Change a value
here and the server and every generated document change together.
"""

from __future__ import annotations

API_PREFIX = "/api/v1"
PROBLEM_CONTENT_TYPE = "application/problem+json"

# List endpoints (`/journeys`, `/inbound/deliveries`): the `limit` a caller gets, and the most it may ask for.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# The longest `waitSeconds` a status or result read may block for.
MAX_LONG_POLL_SECONDS = 60.0
# `GET /journeys?key.orderId=ORD-1`: a business key filter (the key a journey declares in spec.metadata.searchKeys).
SEARCH_KEY_PREFIX = "key."
# The `verdict` values the inbound log can be filtered by, besides `rejected:<cause>`.
VERDICT_FILTERS = ("applied", "duplicate", "buffered", "expired", "late", "unmatched")

# Scopes a client may be granted (`journeys.server.auth` checks them): `journeys:start:<journey name>` starts
# journeys of that definition, `journeys:start:*` of any; `journeys:read` and `journeys:cancel` act on the journeys
# the caller started; `journeys:read:all` reads every client's journeys (an observer: the console's pages, metrics),
# changing nothing; `operator` does everything, on every journey, and reads and replays the inbound log.
START_PREFIX = "journeys:start:"
START_ANY = f"{START_PREFIX}*"
READ = "journeys:read"
READ_ALL = "journeys:read:all"
CANCEL = "journeys:cancel"
OPERATOR = "operator"
SCOPES = (f"{START_PREFIX}<journey name>", START_ANY, READ, READ_ALL, CANCEL, OPERATOR)


def start_scope(journey_name: str) -> str:
    """The scope that starts journeys of `journey_name`."""
    return START_PREFIX + journey_name
