"""Reloading `definitions/` without a restart: on SIGHUP, or `POST /api/v1/definitions/reload` by an operator.

A reload reads every journey and source file again and the config's `pinnedVersions`; when all of it is valid,
the new versions are stored (before anything can start by them) and become what new starts run. Journeys in flight
keep the version they started with. When anything is invalid, nothing changes: the previous set keeps serving and
the refusal says why, in the log and to the operator who asked. A process killed mid-reload has either stored the
new versions or not; either way nothing that runs changed, and the next start loads the files again.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterable, Sequence

from aiohttp import web

from journeys.definitions import DefinitionErrors, load_catalog
from journeys.definitions.inbound_model import InboundSource
from journeys.definitions.model import ApiKeyValidateTask, JourneyDefinition, TaskState
from journeys.engine import EngineError, JourneyEngine
from journeys.engine.api_endpoints import split_kinds
from journeys.engine.platform_binding import check_platform_config
from journeys.engine.versions import Reloaded
from journeys.server.app_keys import ENGINE
from journeys.server.config import ConfigError, ServerConfig, read_pins
from journeys.server.contract_routes import CONTRACT_DOCUMENTS
from journeys.server.credential_config import unconfigured_profile

log = logging.getLogger("journeys.server")


class ReloadRefused(Exception):
    """The files (or the pins) are invalid; `problems` lists each, as `journeys validate` would print them."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def warn_unconfigured(engine: JourneyEngine, config: ServerConfig) -> None:
    """Journeys and sources whose secrets the config lacks still load, but answer 500 until configured: say so."""
    definitions = [*engine.definitions.values(), *engine.apis.definitions.values()]
    for warning in unconfigured_secrets(definitions, engine.inbound.sources.values(), config):
        log.warning("%s", warning)


def unconfigured_secrets(
    definitions: Iterable[JourneyDefinition], sources: Iterable[InboundSource], config: ServerConfig
) -> list[str]:
    """What `warn_unconfigured` logs, for these definitions and sources (`serve --check-config` prints it too)."""
    warnings = []
    for definition in definitions:
        for state in definition.states.values():
            task = state.task if isinstance(state, TaskState) else None
            if isinstance(task, ApiKeyValidateTask) and task.profile not in config.api_keys:
                warnings.append(
                    f"journey '{definition.name}' state '{state.id}' uses API key profile '{task.profile}', which has "
                    "no keys configured: its submissions will be answered 500 until the profile is configured"
                )
            missing = unconfigured_profile(task, config.credentials)
            if missing is not None:
                warnings.append(f"journey '{definition.name}' state '{state.id}' {missing}")
    for source in sources:
        if source.verify.secrets not in config.inbound_secrets:
            warnings.append(
                f"inbound source '{source.name}' verifies with secrets profile '{source.verify.secrets}', which is not "
                "configured (inboundSecrets): its deliveries will be answered 500 until it is, so senders retry them"
            )
    return warnings


class DefinitionReloader:
    """One reload at a time (a second request waits for the first, then reads the files again)."""

    def __init__(self, app: web.Application, config: ServerConfig) -> None:
        self._app = app
        self._config = config
        self._one_at_a_time = asyncio.Lock()
        self._signalled: set[asyncio.Task[None]] = set()

    async def reload(self) -> Reloaded:
        """Read the files again and load them; ReloadRefused (nothing changed) when they are not all valid."""
        async with self._one_at_a_time:  # else an earlier read of the files could be loaded after a later one
            return await self._reload()

    async def _reload(self) -> Reloaded:
        engine = self._app[ENGINE]
        try:
            # In a thread: compiling many definitions would otherwise stall every request in flight.
            definitions, sources = await asyncio.to_thread(load_catalog, self._config.definitions)
            pins = read_pins(self._config)
            check_platform_config(definitions.values(), engine.platform_config)
            journeys, apis = split_kinds(definitions)
            reloaded = await engine.versions.reload(journeys, sources, pins, engine.clock())
            engine.apis.replace(apis.values())
        except DefinitionErrors as failure:
            raise self._refused([str(error) for error in failure.errors]) from failure
        except (ConfigError, EngineError) as failure:
            detail = failure.detail if isinstance(failure, EngineError) else str(failure)
            raise self._refused([detail]) from failure
        self._app[CONTRACT_DOCUMENTS].clear()
        changed = [f"{j.name} {j.label} ({j.change})" for j in reloaded.journeys if j.change != "unchanged"]
        log.info(
            "definitions reloaded: %d journeys, %s; removed: %s",
            len(reloaded.journeys),
            ", ".join(changed) or "none changed",
            ", ".join(reloaded.removed) or "none",
        )
        warn_unconfigured(engine, self._config)
        return reloaded

    @staticmethod
    def _refused(problems: list[str]) -> ReloadRefused:
        log.error("reload refused, the previous definitions stay loaded: %s", "; ".join(problems))
        return ReloadRefused(problems)

    def on_signal(self) -> None:
        """SIGHUP (`kill -HUP`, `systemctl reload`): reload in the background; the outcome goes to the log."""
        task = asyncio.create_task(self._reload_logged())
        self._signalled.add(task)
        task.add_done_callback(self._signalled.discard)

    async def _reload_logged(self) -> None:
        try:
            await self.reload()
        except ReloadRefused:
            pass  # logged with its reasons
        except Exception:  # the database may be down: keep serving the previous set, say why
            log.exception("reload failed, the previous definitions stay loaded")

    def listen(self) -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.on_signal)

    async def stop_listening(self) -> None:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        await asyncio.gather(*self._signalled, return_exceptions=True)
