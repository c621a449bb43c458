"""The interpreter: runs one journey instance from a state until it pauses or ends.

It works on an in-memory `Run` and never touches the store; the caller commits the result in one
transaction (see `journeys.engine.service`). All of it is synchronous and pure: an `httpCall:v1` task
does not perform its request but stops the run with `run.pending_call`; the caller performs it through
the outbound port and hands the outcome back with `resume_after_call`. That keeps I/O out of here and an
advance cheap and deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from journeys.definitions.cache_task import CacheTask
from journeys.definitions.kafka_publish_task import KafkaPublishTask
from journeys.definitions.model import (
    ChoiceState,
    ExternalInputState,
    FailState,
    HttpCallTask,
    JourneyDefinition,
    ParallelState,
    SucceedState,
    TaskState,
    TimerState,
    TransformState,
)
from journeys.definitions.schedule_task import ScheduleTask
from journeys.definitions.subjourney_model import SubjourneyState
from journeys.engine.advance_reach import tasks_before_pause
from journeys.engine.api_keys import ApiKeyProfile
from journeys.engine.auth_checks import AUTH_TASKS, NO_CREDENTIALS, AuthChecks, CredentialProfiles
from journeys.engine.cache_tasks import DEFAULT_CACHE, CacheSettings, run_cache_task
from journeys.engine.call_extras import absorb_cookies, with_extras
from journeys.engine.compensations import plan as plan_compensation
from journeys.engine.context_writes import business_status, write_result
from journeys.engine.cookie_jar import CookieJar
from journeys.engine.event_tasks import publish_event
from journeys.engine.http_calls import PendingCall, call_result, prepare_call
from journeys.engine.inbound_messages import COLUMN_WIDTH
from journeys.engine.lifecycle import RUNNING, Lifecycle
from journeys.engine.named_outcomes import name_outcome
from journeys.engine.outbound import OutboundError, OutboundResponse
from journeys.engine.parallel_runs import RUNNING_BRANCH, SUCCEEDED, ParallelRuns
from journeys.engine.retries import retry_after
from journeys.engine.runs import InboundRequest, Run
from journeys.engine.schedule_tasks import enter_schedule
from journeys.engine.search_keys import render_search_keys
from journeys.engine.state_failure import StateFailure
from journeys.engine.subjourneys import enter_subjourney
from journeys.engine.timer_states import enter_timer, leave_pause, pause_here, scoped
from journeys.expressions import ExpressionEvaluationError
from journeys.store import Timer

MAX_STATES_PER_ADVANCE = 10_000


class Interpreter(ParallelRuns):
    """Executes a definition's states; one per definition, shared by all its instances."""

    def __init__(
        self,
        definition: JourneyDefinition,
        api_keys: Mapping[str, ApiKeyProfile],
        platform: Mapping[str, Any],
        cache: CacheSettings = DEFAULT_CACHE,
        credentials: CredentialProfiles = NO_CREDENTIALS,
    ) -> None:
        self.definition = definition
        self.cache = cache
        self.lifecycle = Lifecycle(cancellable=definition.cancellable)
        self._platform_base = platform
        after = {
            state.id: tasks_before_pause(definition, state.next, scope)
            for scope, states in (("", definition.states), *definition.scopes.items())
            for state in states.values()
            if isinstance(state, ExternalInputState)
        }
        # Steps whose submission can reach an outbound call before the journey pauses again: a retry of a
        # delivery to them is looked up before the advance, so it can never repeat those calls.
        self.calls_out_after = frozenset(
            step for step, tasks in after.items() if any(isinstance(t.task, HttpCallTask) for t in tasks)
        )
        # Whether a start makes outbound calls before its first commit (an async start runs after it).
        self.start_calls_out = definition.start_mode == "sync" and any(
            isinstance(t.task, HttpCallTask) for t in tasks_before_pause(definition, definition.start)
        )
        # The auth checks a submission to each step meets before the next pause: a retry answered from the
        # log (without running the graph) must pass one of them too, or the log would answer anybody.
        self.auth_checks = AuthChecks(
            api_keys,
            credentials,
            {
                step: guards
                for step, tasks in after.items()
                if (guards := tuple(t.task for t in tasks if isinstance(t.task, AUTH_TASKS)))
            },
        )
        self._handlers: dict[type, Callable[[Any, Run, InboundRequest, datetime], str | None]] = {
            TaskState: self._task,
            ChoiceState: self._choice,
            TransformState: self._transform,
            SucceedState: self._succeed,
            FailState: self._fail,
            ExternalInputState: self._pause,
            TimerState: self._timer,
            ParallelState: self._parallel,
            SubjourneyState: lambda state, run, request, now: enter_subjourney(self, state, run),
        }

    def platform(self, run: Run) -> dict[str, Any]:
        """The read-only `platform` binding of expressions, built once per advance."""
        if run.platform is None:
            run.platform = {
                **self._platform_base,
                "journey": {
                    "name": self.definition.name,
                    "kind": self.definition.kind,
                    "version": self.definition.version,
                },
                "run": {"id": run.journey_id, "startedAt": run.started_at.isoformat().replace("+00:00", "Z")},
            }
        return run.platform

    def advance(self, run: Run, state_id: str, request: InboundRequest, now: datetime, scope: str = "") -> None:
        """Enter `state_id` (of the parallel branch at `scope`, or of the journey) and keep executing until the run
        pauses at a step or reaches a terminal phase."""
        if self.definition.search_keys and run.loaded and run.keys_before is None:
            run.keys_before = self.search_keys_of(run)
        leave_pause(run, scope)
        if not scope and run.branches and state_id != run.state:
            self._drop_branches(run, "")  # the journey leaves its parallel (the deadline's `onTimeout.next`)
        if self.definition.cookies is not None and run.jar is None:
            run.jar = CookieJar(self.definition.cookies)
        self._run(run, state_id, request, now, scope)
        self._after_branch(run, scope, request, now)
        self._settle(run)

    def search_keys_of(self, run: Run) -> dict[str, str]:
        return render_search_keys(self.definition.search_keys, run.context, self.platform(run))

    def _settle(self, run: Run) -> None:
        """What the commit records besides the row: how its history is redacted, which business keys it indexes
        (those of a new journey, or those that changed: most advances leave them as they were)."""
        run.redact = self.definition.redact
        run.links_enabled = self.definition.links_enabled
        plan_compensation(self, run)  # spec.compensation, when this advance ended the journey (compensations)
        if self.definition.search_keys:
            keys = self.search_keys_of(run)
            run.search_keys = None if keys == run.keys_before else keys

    def _run(self, run: Run, state_id: str, request: InboundRequest, now: datetime, scope: str = "") -> None:
        states = self.definition.states_in(scope)
        current: str | None = state_id
        position = run.branches[scope] if scope else None
        if position is not None:
            position["status"] = RUNNING_BRANCH
        steps = 0
        while current is not None and run.phase == RUNNING:
            steps += 1
            if steps > MAX_STATES_PER_ADVANCE:
                self._terminate_failed(
                    run,
                    "STATE_LIMIT_EXCEEDED",
                    f"more than {MAX_STATES_PER_ADVANCE} states executed without pausing (a loop?)",
                )
                return
            state = states[current]
            if position is None:
                run.state = current
            else:
                position["state"] = current
            run.path.append(current)
            run.scope = scope
            try:
                current = self._handlers[type(state)](state, run, request, now)
            except StateFailure as failure:
                self._fail_scope(run, scope, failure.code, failure.reason)
                return

    def fail(self, run: Run, code: str, reason: str, trigger: str = "fail") -> None:
        """End the run as Failed from outside the graph (cancellation, engine errors)."""
        self._terminate_failed(run, code, reason, trigger)
        self._settle(run)

    # -- state handlers: each returns the next state id, or None when the run pauses or ends ------

    def resume_after_call(
        self,
        run: Run,
        call: PendingCall,
        outcome: OutboundResponse | OutboundError | None,
        request: InboundRequest,
        now: datetime,
    ) -> None:
        """Record the outcome of `call` (None for a notify call) and continue from the task's `next`."""
        task = call.task
        backoff = retry_after(task.retry, outcome, run.attempt)
        scope = run.scope = run.call_scope
        if backoff is not None:
            # Try again after a durable backoff: the run waits at the task, as a row, for its `retry` timer.
            kind = scoped("retry", scope)
            run.timers[kind] = Timer(kind, call.state_id, now + backoff, run.attempt + 1, call.key)
            if scope:
                run.branches[scope]["state"] = call.state_id
            else:
                run.state = call.state_id
            pause_here(run)
            self._after_branch(run, scope, request, now)
            self._settle(run)
            return
        attempts, run.attempt, run.call_key = run.attempt + 1, 0, None
        if outcome is not None:
            result = call_result(outcome)
            if task.retry is not None:
                result["attempts"] = attempts
            absorb_cookies(call, outcome, result, run, now)
            if task.result_var is not None:
                run.context[task.result_var] = result
            mapping = task.error_mapping
            if mapping is not None and not result["ok"]:
                try:
                    try:
                        value = mapping.mapper.evaluate(run.context, result, self.platform(run))
                    except ExpressionEvaluationError as error:
                        raise StateFailure(f"EXPRESSION_ERROR:{call.state_id}", f"errorMapping: {error}") from error
                    write_result(run, call.state_id, mapping.target_kind, mapping.path, mapping.result_var, value)
                except StateFailure as failure:
                    self._fail_scope(run, scope, failure.code, failure.reason)
                    self._after_branch(run, scope, request, now)
                    self._settle(run)
                    return
        self.advance(run, call.next, request, now, scope)

    def _task(self, state: TaskState, run: Run, request: InboundRequest, now: datetime) -> str | None:
        task = state.task
        if isinstance(task, AUTH_TASKS):
            self.auth_checks.validate(task, run, request, now)
            return state.next
        if isinstance(task, HttpCallTask):
            try:
                key = run.call_key or run.idempotency_key()
                call = prepare_call(state, task, run.context, self.platform(run), key)
                run.pending_call = with_extras(call, self.definition, run, request, now)
                run.call_scope = run.scope
            except ExpressionEvaluationError as error:
                raise StateFailure(f"EXPRESSION_ERROR:{state.id}", f"state '{state.id}': {error}") from error
            except ValueError as error:
                raise StateFailure(f"HTTP_REQUEST_INVALID:{state.id}", f"state '{state.id}': {error}") from error
            return None
        if isinstance(task, CacheTask):
            return run_cache_task(state, task, run, self.platform(run), self.cache, now)
        if isinstance(task, KafkaPublishTask):
            return publish_event(state, task, run, self.platform(run), now)
        if isinstance(task, ScheduleTask):
            return enter_schedule(state, task, run, now, self.platform(run), self.definition)
        raise StateFailure(f"UNSUPPORTED_TASK:{state.id}", f"state '{state.id}': task kind {task.kind}")

    def _choice(self, state: ChoiceState, run: Run, request: InboundRequest, now: datetime) -> str | None:
        payload = run.context.get("payload")
        platform = self.platform(run)
        for index, branch in enumerate(state.branches):
            try:
                verdict = branch.predicate.evaluate(run.context, payload, platform)
            except ExpressionEvaluationError as error:
                raise StateFailure(
                    f"EXPRESSION_ERROR:{state.id}", f"state '{state.id}' choices[{index}]: {error}"
                ) from error
            if verdict is True:
                return branch.next
            if verdict is not False:
                raise StateFailure(
                    f"EXPRESSION_ERROR:{state.id}",
                    f"state '{state.id}' choices[{index}]: predicate returned {verdict!r}, expected a boolean",
                )
        if state.default is None:
            raise StateFailure(f"NO_CHOICE_MATCHED:{state.id}", f"state '{state.id}': no branch matched")
        return state.default

    def _transform(self, state: TransformState, run: Run, request: InboundRequest, now: datetime) -> str | None:
        try:
            result = state.mapper.evaluate(run.context, run.context.get("payload"), self.platform(run))
        except ExpressionEvaluationError as error:
            raise StateFailure(f"EXPRESSION_ERROR:{state.id}", f"state '{state.id}': {error}") from error
        write_result(run, state.id, state.target_kind, state.path, state.result_var, result)
        return state.next

    def _succeed(self, state: SucceedState, run: Run, request: InboundRequest, now: datetime) -> str | None:
        context = run.context
        output = context[state.output_var] if state.output_var and state.output_var in context else context
        if run.scope:  # a branch ends, not the journey
            self._end_branch(run, SUCCEEDED, output=output if state.output_var else None)
        else:
            self._end_succeeded(run, output)
        return None

    def _end_succeeded(self, run: Run, output: Any) -> None:
        run.outcome = {"status": business_status("Succeeded", output, None), "output": output, "error": None}
        if self.definition.outcomes:
            name_outcome(self.definition, run, "Succeeded", self.platform(run))
        self.lifecycle.fire(run, "succeed")
        run.waiting = False
        run.timers.clear()
        run.branches.clear()

    def _fail(self, state: FailState, run: Run, request: InboundRequest, now: datetime) -> str | None:
        self._fail_scope(run, run.scope, state.error_code, state.reason or state.error_code)
        return None

    def _timer(self, state: TimerState, run: Run, request: InboundRequest, now: datetime) -> str | None:
        return enter_timer(state, run, now, self.platform(run))

    def _pause(self, state: ExternalInputState, run: Run, request: InboundRequest, now: datetime) -> str | None:
        run.context.pop("payload", None)
        # A status update routed back to its own step keeps the step's deadline: "pending" must not extend it.
        kept = run.left_step_timer
        kind = scoped("step-timeout", run.scope)
        if run.resumed_from == state.id and kept is not None and kept.state == state.id:
            run.timers[kind] = kept
        elif state.timeout_sec:
            run.timers[kind] = Timer(kind, state.id, now + timedelta(seconds=state.timeout_sec))
        pause_here(run)
        if state.source is not None and state.correlation_key is not None:  # never in a branch (load refuses it)
            run.inbound_source, run.inbound_key = state.source, self._correlation_key(state, run)
            run.inbound_open = True
        return None

    def _correlation_key(self, state: ExternalInputState, run: Run) -> str:
        try:
            key = state.correlation_key.render(run.context, None, self.platform(run))  # type: ignore[union-attr]
        except ExpressionEvaluationError as error:
            reason = f"state '{state.id}' correlationKey: {error}"
            raise StateFailure(f"EXPRESSION_ERROR:{state.id}", reason) from error
        if not key or len(key) > COLUMN_WIDTH or "\x00" in key:
            raise StateFailure(
                f"CORRELATION_KEY_INVALID:{state.id}",
                f"state '{state.id}': the correlation key must be 1 to {COLUMN_WIDTH} characters, none of them NUL",
            )
        return key

    def _terminate_failed(self, run: Run, code: str, reason: str, trigger: str = "fail") -> None:
        error = {"code": code, "reason": reason}
        run.outcome = {"status": business_status("Failed", None, error), "output": None, "error": error}
        if self.definition.outcomes:
            name_outcome(self.definition, run, "Failed", self.platform(run))
        self.lifecycle.fire(run, trigger)  # type: ignore[arg-type]
        run.waiting = False
        run.timers.clear()
        run.branches.clear()
