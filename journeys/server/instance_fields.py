"""`tags` and `attributes` on JourneyStatus and JourneyOutcome answers of reads (DSL 2.8, reserved fields there).

They are read from the search-key index only for journeys whose definition declares tags or bindings, so every
other read costs what it did. Start answers and result pushes leave them out: the caller just sent what they come
from.
"""

from __future__ import annotations

from typing import Any

from journeys.engine import JourneyEngine, Snapshot
from journeys.engine.instance_metadata import carries_metadata, metadata_fields


async def with_instance_metadata(engine: JourneyEngine, snapshot: Snapshot, body: dict[str, Any]) -> dict[str, Any]:
    definition = snapshot.definition
    if definition is not None and carries_metadata(definition):
        rows = await engine.store.search_keys(snapshot.record.id)
        body.update(metadata_fields(definition, rows))
    return body
