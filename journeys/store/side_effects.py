"""What an advance writes besides its journey: `cache:v1` puts and `kafkaPublish:v1` records, in its transaction.

The engine collects them on the run and hands them to the store with the record to commit
(`InstanceRecord.side_effects`); `write_side_effects` runs inside the transaction of that commit, so an advance
that loses its compare-and-set (or never commits: a crash) has put nothing in the cache and published nothing.
Both writes cannot fail for one advance alone (an upsert and plain inserts of validated values), which matters:
the transaction is shared with the other advances of the same group commit.
"""

from __future__ import annotations

from sqlalchemy import Connection

from journeys.store.cache_entries import put_entries
from journeys.store.effect_records import SideEffects
from journeys.store.event_outbox import insert_events
from journeys.store.outbox import put_in_outbox
from journeys.store.records import InstanceRecord
from journeys.store.schedules import write_schedules


def write_effects(conn: Connection, record: InstanceRecord) -> None:
    """Everything a journey's write carries besides its rows, in that write's transaction: the push of the outcome it
    ends with, its cache puts and event records, its schedule bindings (journeys.store.subjourneys writes its
    children: whichever write it is, an insert, a compare-and-set or a child's insert, calls both)."""
    if record.result_push is not None:
        put_in_outbox(conn, record.result_push)
    if record.side_effects is not None:
        write_side_effects(conn, record.side_effects)
    if record.schedules:
        write_schedules(conn, record.schedules, record.id, record.started_by, record.updated_at)


def write_side_effects(conn: Connection, effects: SideEffects) -> None:
    """Write them inside the caller's transaction (that of the advance's commit)."""
    if effects.cache_puts:
        put_entries(conn, effects.cache_puts)
    if effects.events:
        insert_events(conn, effects.events)
