"""The journey store: the only place that issues SQL.

Reads run through the database executor; writes (new instances and compare-and-set advances) go
through the WriteBatcher so concurrent advances share a commit. An advance is
`UPDATE ... WHERE id = :id AND version = :expected` plus its history row, in one transaction: zero
rows updated means another request advanced the journey first, and that caller loses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, text

from journeys.store.cache_entries import CacheStore
from journeys.store.database import DEFAULT_POOL_SIZE, Database, PostgresDatabase, open_database
from journeys.store.definition_versions import DefinitionVersionStore
from journeys.store.deliveries import APPLIED_TO, DELETE_ROW, FLIP, DeliveryStore, InboxClaim, claim_row
from journeys.store.effect_records import SideEffects
from journeys.store.end_notices import EndNotices
from journeys.store.event_outbox import EventOutboxStore
from journeys.store.listing import (
    JourneyFilter,
    filtered,
    phase_counts_query,
    search_key_rows,
    search_keys_query,
    write_search_keys,
)
from journeys.store.outbox import OutboxStore
from journeys.store.pg_fused import (
    COMPARE_AND_SET_WITH_HISTORY,
    COMPARE_AND_SET_WITH_HISTORY_CLEARING_TIMERS,
    fused_insert,
    with_history,
)
from journeys.store.probes import ProbeStore
from journeys.store.records import AdvanceOutcome, DeliveryRecord, InstanceRecord, StartKeyRecord, TransitionRecord
from journeys.store.rows import (
    BY_ID,
    COMPARE_AND_SET,
    COMPARE_AND_SET_REPINNED,
    HISTORY,
    INBOUND_HOLDER,
    INSTANCE_INSERT,
    REPINNED_COLUMNS,
    TRANSITION_INSERT,
    UPDATED_COLUMNS,
    compare_and_set_values,
    delivery_values,
    instance_values,
    newest_first,
    record_from_values,
    submit_guarded,
    to_record,
    to_transition,
    transition_values,
)
from journeys.store.run_leases import LEASE_INSERT, RunLease, lease_rows
from journeys.store.run_leases import release as release_lease
from journeys.store.run_leases import take as take_leases
from journeys.store.schedules import Occurrence, OccurrenceTaken, ScheduleStore, take_occurrence
from journeys.store.side_effects import write_effects, write_side_effects
from journeys.store.start_keys import StartKeyStore, claim_start_key
from journeys.store.subjourneys import SubjourneyNotices, write_lineage
from journeys.store.tables import (
    RUNNABLE_INDEX,
    RUNNABLE_POSTGRESQL,
    RUNNABLE_SQLITE,
    instance_table,
    run_lease_table,
    search_key_table,
    timer_table,
    transition_table,
)
from journeys.store.timers import TimerClaim, claim_due, drop_stale, next_due, release, replace_timers, timer_rows
from journeys.store.write_batcher import WriteBatcher


def _runnable_query(table_hint: str, condition: str) -> Any:
    columns = ", ".join(column.name for column in instance_table.c)
    sql = f"SELECT {columns} FROM journey_instance{table_hint} WHERE {condition} ORDER BY updated_at LIMIT :limit"
    return text(sql).columns(*instance_table.c)


# Written as SQL: SQLAlchemy renders no index hint for SQLite, and its planner needs one (below).
_RUNNABLE = {
    "sqlite": _runnable_query(f" INDEXED BY {RUNNABLE_INDEX}", RUNNABLE_SQLITE),
    "postgresql": _runnable_query("", RUNNABLE_POSTGRESQL),
}


class JourneyStore:
    """Persistence of journey instances; create with `await JourneyStore.open(url)`.

    `deliveries` is the inbound log, dedupe record and inbox; `start_keys` the idempotency keys of starts (both
    share this store's database and group commit); `definition_versions` the stored versions of definitions;
    `probes` the reads of health probes and metrics scrapes; `outbox` the result pushes of ended journeys; `cache`
    the `cache:v1` entries; `events` the `kafkaPublish:v1` event outbox.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self._writes = WriteBatcher(database)
        self.deliveries = DeliveryStore(database, self._writes)
        self.start_keys = StartKeyStore(database, self._writes)
        self.definition_versions = DefinitionVersionStore(database)
        self.probes = ProbeStore(database)
        self.outbox = OutboxStore(database, self._writes)
        self.subjourneys = SubjourneyNotices(database, self._writes)
        self.cache = CacheStore(database, self._writes)
        self.events = EventOutboxStore(database)
        self.schedules = ScheduleStore(database)  # schedule:v1 bindings (journeys.store.schedules)

    @classmethod
    async def open(cls, url: str, pool_size: int = DEFAULT_POOL_SIZE) -> JourneyStore:
        return cls(await open_database(url, pool_size))

    @property
    def dialect(self) -> str:
        return self._database.dialect

    def end_notices(self, heard: Callable[[str], None], connected: Callable[[], None]) -> EndNotices | None:
        """A listener for the journeys other processes end (journeys.store.end_notices); None where every end is
        this process's own (SQLite: one process per file)."""
        database = self._database
        return EndNotices(database.url, heard, connected) if isinstance(database, PostgresDatabase) else None

    def observe_commits(self, observe: Callable[[float], None]) -> None:
        """Have `observe` told how many seconds each group commit took (metrics: database commit latency)."""
        self._writes.observe = observe

    async def close(self) -> None:
        await self._writes.close()
        await self._database.close()

    # -- writes -----------------------------------------------------------------------------------

    async def insert(
        self,
        record: InstanceRecord,
        transition: TransitionRecord,
        *,
        start_key: StartKeyRecord | None = None,
        run_lease: RunLease | None = None,
        occurrence: Occurrence | None = None,
    ) -> StartKeyRecord | None:
        """Persist a new instance and its first history row, with the idempotency key of its start if it has one
        and the lease of the process that will run it (`run_lease`, an async start); returns once committed
        (KeyInUse: nothing written). A scheduled run is written with the `occurrence` of its binding it starts
        (OccurrenceTaken, nothing written, when another process started it first).

        Returns None when inserted, or (nothing written) the live key another start with the same scope holds.
        """
        values = instance_values(record)
        history = transition_values(transition, values["context"] if transition.context is record.context else None)

        def write(conn: Connection) -> StartKeyRecord | None:
            if occurrence is not None and not take_occurrence(conn, occurrence):
                raise OccurrenceTaken(f"schedule {occurrence.schedule.id}: its occurrence was started elsewhere")
            if start_key is not None:
                holder = claim_start_key(conn, start_key)
                if holder is not None:
                    return holder
            if conn.dialect.name == "postgresql":  # one round trip (journeys.store.pg_fused)
                fused_insert(
                    conn,
                    [
                        (instance_table, [values]),
                        (transition_table, [history]),
                        (timer_table, timer_rows(record.id, record.timers)),
                        (search_key_table, search_key_rows(record.id, record.search_keys or {})),
                        (run_lease_table, lease_rows(record.id, run_lease)),
                    ],
                )
            else:
                conn.execute(INSTANCE_INSERT, values)
                conn.execute(TRANSITION_INSERT, history)
                if record.timers:
                    replace_timers(conn, record.id, record.timers, fresh=True)
                if record.search_keys:
                    write_search_keys(conn, record.id, record.search_keys)
                if run_lease is not None:
                    conn.execute(LEASE_INSERT, lease_rows(record.id, run_lease))
            write_effects(conn, record)  # a sync journey that ended at its start has its outcome's push
            write_lineage(conn, record)
            return None

        holder: StartKeyRecord | None = await submit_guarded(self._writes, write)
        return holder

    async def advance(
        self,
        record: InstanceRecord,
        expected_version: int,
        transition: TransitionRecord,
        *,
        delivery: DeliveryRecord | None = None,
        inbox: InboxClaim | None = None,
        repin: bool = False,
    ) -> str:
        """Replace the instance row if it is still at `expected_version`, with its history row and the delivery that
        caused the advance (a new owning row, or a stored one claimed from the inbox), all or nothing.

        Returns an AdvanceOutcome: APPLIED; CONFLICT when another advance won; DUPLICATE when the delivery's key
        was owned already. KeyInUse (nothing written) when the journey would wait for a key another one holds.
        `repin`: the record names another version of its definition (a migration); written too.

        Statements that can lose run first and are undone by hand when a later one loses, because the
        transaction is shared with other writes of the same group commit and cannot be rolled back for one.
        """
        compare_and_set, columns = (
            (COMPARE_AND_SET_REPINNED, REPINNED_COLUMNS) if repin else (COMPARE_AND_SET, UPDATED_COLUMNS)
        )
        instance = compare_and_set_values(record, expected_version, columns)
        history = transition_values(transition, instance["context"] if transition.context is record.context else None)
        owner = None if delivery is None else delivery_values(delivery)
        flip = applied = None
        if inbox is not None:
            # Only the verdict moves until the advance is known to have won; then the row names its journey.
            flip = {"row_id": inbox.delivery_id, "expected": inbox.expected, "verdict": AdvanceOutcome.APPLIED}
            applied = {
                "row_id": inbox.delivery_id,
                "journey": inbox.journey_id,
                "step": inbox.step_id,
                "key": inbox.correlation_key,
            }

        # On PostgreSQL the history row rides in the compare-and-set's statement (journeys.store.pg_fused).
        fused = self.dialect == "postgresql" and not repin
        # An advance that leaves its last timer behind clears the timer rows in that same statement.
        timers_cleared = fused and record.timers_changed and not record.timers
        if fused:
            fused_statement = (
                COMPARE_AND_SET_WITH_HISTORY_CLEARING_TIMERS if timers_cleared else COMPARE_AND_SET_WITH_HISTORY
            )
            compare_and_set, instance = fused_statement, with_history(instance, history)

        def write(conn: Connection) -> str:
            if owner is not None and not claim_row(conn, owner):
                return AdvanceOutcome.DUPLICATE
            if flip is not None and conn.execute(FLIP, flip).rowcount != 1:
                return AdvanceOutcome.CONFLICT
            if conn.execute(compare_and_set, instance).rowcount != 1:
                if owner is not None:
                    conn.execute(DELETE_ROW, {"row_id": owner["id"]})
                if flip is not None:
                    conn.execute(FLIP, {**flip, "expected": AdvanceOutcome.APPLIED, "verdict": flip["expected"]})
                return AdvanceOutcome.CONFLICT
            if applied is not None:
                conn.execute(APPLIED_TO, applied)
            if not fused:
                conn.execute(TRANSITION_INSERT, history)
            if record.timers_changed and not timers_cleared:
                replace_timers(conn, record.id, record.timers)
            if record.search_keys:
                write_search_keys(conn, record.id, record.search_keys)
            write_effects(conn, record)
            write_lineage(conn, record)
            return AdvanceOutcome.APPLIED

        return str(await submit_guarded(self._writes, write))

    async def write_side_effects(self, effects: SideEffects) -> None:
        """Write cache puts and outbox records that no journey commit carries: those of a `kind: Api` run (which
        stores nothing else), or entries seeded by a test."""
        await self._writes.submit(lambda conn: write_side_effects(conn, effects))

    # -- reads ------------------------------------------------------------------------------------

    async def get(self, journey_id: str) -> InstanceRecord | None:
        if "\x00" in journey_id:  # no stored id holds one, and PostgreSQL refuses to compare with it
            return None
        values = await self._database.first(BY_ID, {"journey_id": journey_id})
        return None if values is None else record_from_values(values)

    async def get_many(self, journey_ids: Sequence[str]) -> dict[str, InstanceRecord]:
        """The journeys of `journey_ids` that exist, by id, in one query (a batch of due timers)."""
        query = select(instance_table).where(instance_table.c.id.in_(journey_ids))
        return {record.id: record for record in await self._records(query)}

    async def inbound_holder(self, source: str, key: str) -> InstanceRecord | None:
        """The journey waiting for (source, key), else the one that held it last (to tell a late delivery)."""
        params = {"source": source, "key": key}
        row = await self._database.read(lambda conn: conn.execute(INBOUND_HOLDER, params).first())
        return None if row is None else to_record(row)

    async def history(self, journey_id: str) -> list[TransitionRecord]:
        rows = await self._database.read(lambda conn: conn.execute(HISTORY, {"journey_id": journey_id}).all())
        return [to_transition(row) for row in rows]

    async def list(
        self, journeys: JourneyFilter, *, limit: int, after: tuple[datetime, str] | None
    ) -> list[InstanceRecord]:
        """A page of the journeys `journeys` selects, newest first, keyset-paginated on (created_at, id)."""
        table = instance_table
        query = newest_first(filtered(select(table), journeys), table.c.created_at, table.c.id, after, limit)
        return await self._records(query)

    async def phase_counts(self, journeys: JourneyFilter) -> dict[str, int]:
        """How many journeys `journeys` selects, by phase."""
        rows = await self._database.read(lambda conn: conn.execute(phase_counts_query(journeys)).all())
        return {phase: count for phase, count in rows}

    async def search_keys(self, journey_id: str) -> dict[str, str]:
        rows = await self._database.read(lambda conn: conn.execute(search_keys_query(journey_id)).all())
        return {name: value for name, value in rows}

    async def runnable(self, limit: int = 500) -> Sequence[InstanceRecord]:
        """Running instances not paused at a step: accepted but not (fully) run, e.g. after a crash."""
        # An index range scan over the runnable rows only, however many journeys wait (SQLite's planner, without
        # statistics, would walk every Running row through the phase index instead: it is told which index to use).
        query = _RUNNABLE[self.dialect]
        rows = await self._database.read(lambda conn: conn.execute(query, {"limit": limit}).all())
        return [to_record(row) for row in rows]

    # -- timers (journeys.store.timers) ------------------------------------------------------------

    async def claim_timers(
        self, now: datetime, lease: timedelta, limit: int = 500, skip_digests: frozenset[str] = frozenset()
    ) -> list[TimerClaim]:
        """Claim due timers for `lease`, but for those of journeys of the definition versions in `skip_digests`."""
        claimed: list[TimerClaim] = await self._writes.submit(
            lambda conn: claim_due(conn, now, lease, limit, skip_digests)
        )
        return claimed

    async def release_timer(self, claim: TimerClaim) -> None:
        await self._writes.submit(lambda conn: release(conn, claim))

    async def drop_stale_timer(self, claim: TimerClaim) -> None:
        await self._writes.submit(lambda conn: drop_stale(conn, claim))

    async def next_timer_due(self, now: datetime, skip_digests: frozenset[str] = frozenset()) -> datetime | None:
        due: datetime | None = await self._database.read(lambda conn: next_due(conn, now, skip_digests))
        return due

    # -- run leases (journeys.store.run_leases) ----------------------------------------------------

    async def take_run_leases(
        self, journey_ids: Sequence[str], owner: str, now: datetime, until: datetime
    ) -> list[str]:
        """Take or renew `owner`'s leases on the runs of `journey_ids` until `until`: the ids it now holds."""
        held: list[str] = await self._writes.submit(lambda conn: take_leases(conn, journey_ids, owner, now, until))
        return held

    async def release_run_lease(self, journey_id: str, owner: str) -> None:
        await self._writes.submit(lambda conn: release_lease(conn, journey_id, owner))

    async def _records(self, query: Any) -> list[InstanceRecord]:
        rows = await self._database.read(lambda conn: conn.execute(query).all())
        return [to_record(row) for row in rows]
