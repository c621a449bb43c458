"""Which version of its definition runs each journey.

A journey is pinned at its start to the exact version (the digest of the normalised document) it started with,
and every later advance runs that version: a redeploy that renames a state or changes the routing must never
strand or rewrite work in flight. The versions loaded from disk are stored at server start and run new starts;
an older one is compiled from its stored source the first time one of its journeys needs it, then cached. A
stored version that no longer compiles with today's engine is logged once, and its journeys stay readable but
cannot be advanced (`DefinitionVersionUnusable`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from journeys.definitions import DefinitionErrors, load_definition_text
from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.inbound_sources import source_reference_errors
from journeys.definitions.model import JourneyDefinition
from journeys.engine.errors import DefinitionVersionUnusable, JourneyNotFound, UnknownJourneyDefinition
from journeys.engine.interpreter import Interpreter
from journeys.engine.lifecycle import PHASES
from journeys.store import DefinitionVersionRecord, InstanceRecord, JourneyStore

log = logging.getLogger("journeys.engine")

# A version's problems, as reported when it failed to compile (the same text for each of its journeys).
Unusable = str


def _not_loaded(record: InstanceRecord) -> JourneyNotFound:
    return JourneyNotFound(f"journey '{record.id}' belongs to definition '{record.journey_name}', which is not loaded")


@dataclass(slots=True, frozen=True)
class VersionSummary:
    """A stored version as an operator reviews it before retiring it: is it still what new starts run, and how many
    journeys (of every owner) run by it, by phase."""

    label: str
    digest: str
    stored_at: datetime
    loaded: bool
    instances: Mapping[str, int]


class DefinitionVersions:
    """The newest (loaded) interpreter of each journey, and every version's interpreter by (name, digest)."""

    def __init__(
        self,
        definitions: Mapping[str, JourneyDefinition],
        store: JourneyStore,
        interpreter_of: Callable[[JourneyDefinition], Interpreter],
        sources: Mapping[str, InboundSource],
    ) -> None:
        self._store = store
        self._interpreter_of = interpreter_of
        self._sources = sources
        self.newest = {name: interpreter_of(definition) for name, definition in definitions.items()}
        self._versions: dict[tuple[str, str], Interpreter | Unusable] = {
            (name, interpreter.definition.digest): interpreter for name, interpreter in self.newest.items()
        }

    async def publish(self, now: datetime) -> None:
        """Store the loaded versions (those stored already stay as they are) and pin the legacy journeys of each
        name, started before versions were stored, to the version loaded now."""
        await self._store.definition_versions.publish(
            [
                DefinitionVersionRecord(
                    journey_name=d.name,
                    digest=d.digest,
                    label=d.version,
                    file_name=d.source.name,
                    source=d.source_text,
                    stored_at=now,
                )
                for d in (interpreter.definition for interpreter in self.newest.values())
            ]
        )

    async def stored(self, journey_name: str) -> list[VersionSummary]:
        """Every stored version of `journey_name`, newest first; unknown when none is stored (a name that was never
        loaded), while a name whose file went away still lists its versions, none of them loaded."""
        versions = await self._store.definition_versions.of_journey(journey_name)
        if not versions:
            raise UnknownJourneyDefinition(f"no version of a journey named '{journey_name}' is stored")
        counts = await self._store.definition_versions.instance_counts(journey_name)
        newest = self.newest.get(journey_name)
        loaded = newest.definition.digest if newest is not None else None
        return [
            VersionSummary(
                label=v.label,
                digest=v.digest,
                stored_at=v.stored_at,
                loaded=v.digest == loaded,
                instances={phase: counts.get((v.digest, phase), 0) for phase in PHASES},
            )
            for v in versions
        ]

    async def find(self, record: InstanceRecord) -> Interpreter | Unusable | None:
        """The interpreter of the version `record` runs by, its problems if it no longer compiles, or None when
        no version is known (a legacy journey whose definition is not loaded)."""
        if record.definition_digest is None:  # written by a server of an earlier release since this one started
            return self.newest.get(record.journey_name)
        key = (record.journey_name, record.definition_digest)
        found = self._versions.get(key)
        if found is None:
            found = await self._compile(*key)
            self._versions[key] = found
        return found

    async def running(self, record: InstanceRecord) -> Interpreter:
        """The interpreter to advance `record` with; refused when its version is unknown or no longer compiles."""
        found = await self.find(record)
        if isinstance(found, Interpreter):
            return found
        if found is None:
            raise _not_loaded(record)
        raise DefinitionVersionUnusable(
            f"journey '{record.id}' runs by version '{record.journey_version}' of '{record.journey_name}' "
            f"(digest {record.definition_digest}), which this server can no longer run: {found}. "
            "It can be read, not advanced."
        )

    async def readable(self, record: InstanceRecord) -> JourneyDefinition | None:
        """The definition to present `record` with; None when its version no longer compiles (shown without
        step links). A journey of no known version is not found, as before versions were stored."""
        found = await self.find(record)
        if found is None:
            raise _not_loaded(record)
        return found.definition if isinstance(found, Interpreter) else None

    async def _compile(self, name: str, digest: str) -> Interpreter | Unusable:
        stored = await self._store.definition_versions.get(name, digest)
        if stored is None:
            problem = "the version is not stored in this database"
        else:
            try:
                definition = load_definition_text(stored.source, stored.file_name)
                errors = source_reference_errors({name: definition}, self._sources)
                if not errors:
                    return self._interpreter_of(definition)
                problem = "; ".join(str(error) for error in errors)
            except DefinitionErrors as failure:
                problem = "; ".join(str(error) for error in failure.errors)
        log.error(
            "stored version %s of journey '%s' cannot be run, its journeys cannot advance: %s",
            digest,
            name,
            problem,
        )
        return problem
