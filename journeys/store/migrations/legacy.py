"""Adopting databases created before alembic, which record their schema in a `journeys_schema` table.

Version 2 of that table is the schema revision 0001 creates, so such a database is stamped at 0001. Version 1
(before inbound sources) first gets what version 2 added, with revision 0001's own operations. The legacy
table is dropped once alembic's version table has taken its place; one an older release recreated after that
(it finds no table and writes one, changing nothing else) is dropped again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

LEGACY_TABLE = "journeys_schema"
BASELINE = "0001"
_INBOUND_COLUMNS = (("inbound_source", 100), ("inbound_key", 200), ("inbound_open_key", 200))


class LegacySchemaError(RuntimeError):
    """The legacy schema table holds a version this release cannot adopt."""


def adopt_legacy_schema(conn: Connection, config: Config) -> int | None:
    """Stamp a database from before alembic at the revision its schema is; returns its legacy version, if any."""
    tables = set(inspect(conn).get_table_names())
    if LEGACY_TABLE not in tables:
        return None
    version = None
    if "alembic_version" not in tables:
        version = conn.execute(sa.text(f"SELECT max(version) FROM {LEGACY_TABLE}")).scalar()
        if version == 1:
            _add_inbound(conn, config)
        elif version != 2:
            raise LegacySchemaError(
                f"the database's {LEGACY_TABLE} table says schema version {version!r}; this release adopts 1 or 2"
            )
        command.stamp(config, BASELINE)
    conn.execute(sa.text(f"DROP TABLE {LEGACY_TABLE}"))
    return version


def _add_inbound(conn: Connection, config: Config) -> None:
    """Legacy version 1 -> 2: the journey row's inbound columns and indexes, and the inbound delivery table."""
    baseline = ScriptDirectory.from_config(config).get_revision(BASELINE).module
    with Operations.context(MigrationContext.configure(conn)) as op:
        for name, length in _INBOUND_COLUMNS:
            op.add_column("journey_instance", sa.Column(name, sa.String(length), nullable=True))
        baseline.create_inbound_indexes()
        baseline.create_inbound_delivery()
