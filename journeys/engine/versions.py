"""Which version of its definition runs each journey, and which one new starts run.

A journey is pinned at its start to the exact version (the digest of the normalised document) it started with,
and every later advance runs that version: a redeploy that renames a state or changes the routing must never
strand or rewrite work in flight. The versions loaded from disk are stored at server start and on every reload,
before any journey can start by them; an older one is compiled from its stored source the first time one of its
journeys needs it, then cached. A stored version that no longer compiles with today's engine is logged once, and
its journeys stay readable but cannot be advanced (`DefinitionVersionUnusable`).

New starts run the loaded version of each journey, unless the server config pins the journey to a stored version
(by label or digest): a rollback without touching the files, as a Step Functions alias would point back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from journeys.definitions import DefinitionErrors, load_definition_text
from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.inbound_sources import source_reference_errors
from journeys.definitions.model import JourneyDefinition
from journeys.engine.errors import (
    AmbiguousDefinitionVersion,
    DefinitionVersionUnusable,
    JourneyNotFound,
    UnknownDefinitionVersion,
    UnknownJourneyDefinition,
)
from journeys.engine.interpreter import Interpreter
from journeys.engine.lifecycle import PHASES
from journeys.engine.subjourneys import graph_definition
from journeys.store import DefinitionVersionRecord, InstanceRecord, JourneyStore

log = logging.getLogger("journeys.engine")

# A version's problems, as reported when it failed to compile (the same text for each of its journeys).
Unusable = str
# The shortest digest prefix accepted as a version reference: short enough to type, long enough not to collide.
MIN_DIGEST_PREFIX = 8


def _not_loaded(record: InstanceRecord) -> JourneyNotFound:
    return JourneyNotFound(f"journey '{record.id}' belongs to definition '{record.journey_name}', which is not loaded")


def describe(version: DefinitionVersionRecord) -> str:
    return f"{version.label} ({version.digest[:12]})"


@dataclass(slots=True, frozen=True)
class VersionSummary:
    """A stored version as an operator reviews it before retiring it: is it still what new starts run, and how many
    journeys (of every owner) run by it, by phase."""

    label: str
    digest: str
    stored_at: datetime
    loaded: bool
    instances: Mapping[str, int]


@dataclass(slots=True, frozen=True)
class LoadedJourney:
    """What a reload did to one journey name: the version new starts now run, and the one they ran before."""

    name: str
    label: str
    digest: str
    previous_digest: str | None
    pinned: bool

    @property
    def change(self) -> str:
        if self.previous_digest is None:
            return "added"
        return "unchanged" if self.previous_digest == self.digest else "changed"


@dataclass(slots=True, frozen=True)
class Reloaded:
    journeys: tuple[LoadedJourney, ...]
    removed: tuple[str, ...]
    sources: tuple[str, ...]


class DefinitionVersions:
    """The interpreter new starts of each journey use (`newest`), and every version's interpreter by (name, digest).

    `newest`, `definitions` and `sources` are replaced together, never edited: a request that read them before a
    reload finishes with the set it read, and its journey is pinned to a version that was stored before it ran.
    """

    def __init__(
        self,
        definitions: Mapping[str, JourneyDefinition],
        store: JourneyStore,
        interpreter_of: Callable[[JourneyDefinition], Interpreter],
        sources: Mapping[str, InboundSource],
    ) -> None:
        self._store = store
        self._interpreter_of = interpreter_of
        self._versions: dict[tuple[str, str], Interpreter | Unusable] = {}
        self._graphs: dict[tuple[str, str, str], Interpreter] = {}
        self._reloading = asyncio.Lock()
        self._swap({name: self._interpreter(definition) for name, definition in definitions.items()}, sources)

    def _swap(self, newest: dict[str, Interpreter], sources: Mapping[str, InboundSource]) -> None:
        self.newest = newest
        self.definitions: Mapping[str, JourneyDefinition] = {name: i.definition for name, i in newest.items()}
        self.sources: Mapping[str, InboundSource] = dict(sources)

    def _interpreter(self, definition: JourneyDefinition) -> Interpreter:
        """The cached interpreter of this exact version, else a new one (cached)."""
        key = (definition.name, definition.digest)
        found = self._versions.get(key)
        if not isinstance(found, Interpreter):
            found = self._versions[key] = self._interpreter_of(definition)
        return found

    async def publish(self, now: datetime, pins: Mapping[str, str] | None = None) -> None:
        """At server start: store the loaded versions (those stored already stay as they are), pin the legacy
        journeys of each name, started before versions were stored, to the version loaded now, and point new
        starts at the pinned versions. A pin that names no runnable version refuses the start."""
        async with self._reloading:
            await self._store_loaded(self.newest, now)
            self._swap(await self._pinned(self.newest, pins or {}, self.sources), self.sources)

    async def reload(
        self,
        definitions: Mapping[str, JourneyDefinition],
        sources: Mapping[str, InboundSource],
        pins: Mapping[str, str],
        now: datetime,
    ) -> Reloaded:
        """Store `definitions` and make them (or the pinned versions) what new starts run. Nothing is replaced when
        a pin cannot be resolved; versions stored by then stay stored, which changes nothing that runs."""
        async with self._reloading:
            # Versions that failed to compile may compile now (a source they name came back): try them again.
            self._versions = {k: v for k, v in self._versions.items() if isinstance(v, Interpreter)}
            loaded = {name: self._interpreter(definition) for name, definition in definitions.items()}
            await self._store_loaded(loaded, now)
            newest = await self._pinned(loaded, pins, sources)
            previous = self.newest
            self._swap(newest, sources)
        return Reloaded(
            journeys=tuple(
                LoadedJourney(
                    name=name,
                    label=interpreter.definition.version,
                    digest=interpreter.definition.digest,
                    previous_digest=previous[name].definition.digest if name in previous else None,
                    pinned=name in pins,
                )
                for name, interpreter in sorted(newest.items())
            ),
            removed=tuple(sorted(set(previous) - set(newest))),
            sources=tuple(sorted(sources)),
        )

    async def _store_loaded(self, loaded: Mapping[str, Interpreter], now: datetime) -> None:
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
                for d in (interpreter.definition for interpreter in loaded.values())
            ]
        )

    async def _pinned(
        self, loaded: Mapping[str, Interpreter], pins: Mapping[str, str], sources: Mapping[str, InboundSource]
    ) -> dict[str, Interpreter]:
        """`loaded`, with each pinned name's interpreter replaced by its pinned stored version's (a pinned name
        need not be loaded: a journey whose file went away can still be started by a version it had)."""
        newest = dict(loaded)
        for name, reference in sorted(pins.items()):
            version = await self.resolve(name, reference)
            found = await self._find(name, version.digest, sources)
            if not isinstance(found, Interpreter):
                raise DefinitionVersionUnusable(
                    f"pinnedVersions: '{name}' is pinned to {describe(version)}, which cannot run: {found}"
                )
            newest[name] = found
        return newest

    async def resolve(self, journey_name: str, reference: str) -> DefinitionVersionRecord:
        """The stored version of `journey_name` that `reference` names: its label, or its digest (a prefix of at
        least MIN_DIGEST_PREFIX characters). A label given to several versions must be named by digest."""
        versions = await self._store.definition_versions.of_journey(journey_name)
        if not versions:
            raise UnknownJourneyDefinition(f"no version of a journey named '{journey_name}' is stored")
        wanted = reference.strip().lower()
        matches = [v for v in versions if v.label == reference] or (
            [v for v in versions if v.digest.startswith(wanted)] if len(wanted) >= MIN_DIGEST_PREFIX else []
        )
        if len(matches) == 1:
            return matches[0]
        stored = ", ".join(describe(v) for v in versions)
        if not matches:
            raise UnknownDefinitionVersion(
                f"no stored version of '{journey_name}' is labelled '{reference}' or has a digest starting with it "
                f"(at least {MIN_DIGEST_PREFIX} characters); stored: {stored}"
            )
        raise AmbiguousDefinitionVersion(
            f"'{reference}' names {len(matches)} stored versions of '{journey_name}' "
            f"({', '.join(describe(v) for v in matches)}): name one by its digest"
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
        found = await self._find(record.journey_name, record.definition_digest, self.sources)
        return self.graph_of(found, record.graph) if record.graph and isinstance(found, Interpreter) else found

    def graph_of(self, interpreter: Interpreter, graph: str) -> Interpreter:
        """The interpreter of the local graph `graph` (a subjourney, or the compensation) of `interpreter`'s version:
        what its child journeys run by (journeys.engine.subjourneys), compiled once per version."""
        definition = interpreter.definition
        key = (definition.name, definition.digest, graph)
        found = self._graphs.get(key)
        if found is None:
            found = self._graphs[key] = self._interpreter_of(graph_definition(definition, graph))
        return found

    async def version(self, version: DefinitionVersionRecord) -> Interpreter:
        """The interpreter of a stored version; refused when it no longer compiles."""
        found = await self._find(version.journey_name, version.digest, self.sources)
        if isinstance(found, Interpreter):
            return found
        raise DefinitionVersionUnusable(f"version {describe(version)} of '{version.journey_name}' cannot run: {found}")

    async def _find(self, name: str, digest: str, sources: Mapping[str, InboundSource]) -> Interpreter | Unusable:
        key = (name, digest)
        found = self._versions.get(key)
        if found is None:
            found = self._versions[key] = await self._compile(name, digest, sources)
        return found

    def unusable(self) -> frozenset[str]:
        """The digests of the versions found not to compile (their journeys can be read, never advanced)."""
        return frozenset(digest for (_, digest), found in self._versions.items() if not isinstance(found, Interpreter))

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

    async def _compile(self, name: str, digest: str, sources: Mapping[str, InboundSource]) -> Interpreter | Unusable:
        stored = await self._store.definition_versions.get(name, digest)
        if stored is None:
            problem = "the version is not stored in this database"
        else:
            try:
                definition = load_definition_text(stored.source, stored.file_name)
                errors = source_reference_errors({name: definition}, sources)
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
