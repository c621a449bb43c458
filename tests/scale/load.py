"""The load client of the scale suite: journeys of four kinds spread over several `journeys serve` processes, a
ledger of what those processes acknowledged, and the checks that nothing acknowledged was lost or doubled.

Only what a process acknowledged (answered 2xx, 202 for an async start) is demanded: a request to a process that
died under it has no answer, and the client then does what a real one does (a gateway re-sends its callback to
another process; a start is simply not counted). Kinds:

- `payment` (shipped payment-callback): a sync start waiting at its callback step; the callback goes to another
  process than the start, every third one is sent again (the same bytes: a duplicate) to a third process.
- `timer` (reminder-timer): a `timer` state falling due seconds later, on whichever process claims it.
- `deadline` (scale-deadline): a step with a 4 s timeout; half of them get a decision right about then, racing it.
- `async` (scale-async): an async start whose run waits on a slow downstream call, so a SIGKILL strands some.

Every journey also has a long-poll of its result open on a process other than its start's.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import signal
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from tests.support import ROOT, WEBHOOK_SECRET

SCALE_DEFINITIONS = Path(__file__).resolve().parent / "definitions"
TIMER_DEFINITIONS = ROOT / "tests" / "fixtures" / "timers"
LONG_POLL_SECONDS = 55  # longer than recovery of a dead process's runs takes: every poll should see the end
HOLD_SECONDS = 1.5  # how long the downstream keeps each call of an async run waiting
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Reply:
    target: str  # the base URL the request went to
    status: int
    body: Any
    verdict: str | None  # Journeys-Delivery-Verdict of a step submission
    at: float  # when it was answered (wall clock: compared with the times the server records)


@dataclass
class Journey:
    kind: str
    ref: str
    id: str
    started_on: str
    acked_at: float  # loop time of the start's answer
    submissions: list[tuple[Reply, bool]] = field(default_factory=list)  # (answer, sent as a known duplicate)
    unanswered: int = 0  # submissions whose process died under them (re-sent elsewhere)
    polls: list[Reply] = field(default_factory=list)


async def send(http: aiohttp.ClientSession, method: str, url: str, body: bytes | None = None) -> Reply | None:
    """One request; None when the process died before answering it (nothing is acknowledged then). A POST carries
    the gateway's secret, which payment-callback's callback step checks (a start ignores it)."""
    headers = {**JSON, "X-Webhook-Secret": WEBHOOK_SECRET} if body is not None else {}
    try:
        async with http.request(method, url, data=body, headers=headers) as response:
            raw = await response.read()
            parsed = orjson.loads(raw) if raw and response.content_type.endswith("json") else raw
            verdict = response.headers.get("Journeys-Delivery-Verdict")
            return Reply(url.split("/api/v1/")[0], response.status, parsed, verdict, time.time())
    except (TimeoutError, aiohttp.ClientError):
        return None


class Downstream:
    """The slow service async runs call: each call is held `HOLD_SECONDS`, and attributed to the server process that
    made it (the owner of its client socket, read from /proc while the call is held; None when it died already)."""

    def __init__(self) -> None:
        self.calls: dict[str, list[int | None]] = defaultdict(list)  # journey ref -> the pid of each call's maker
        self.held: dict[str, int | None] = {}  # journey ref -> the pid whose call is being held now
        self.servers: Callable[[], set[int]] = set  # the pids that may call (the test sets it)
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        ref = request.match_info["ref"]
        peer = request.transport.get_extra_info("peername") if request.transport else None
        caller = None if peer is None else socket_owner(int(peer[1]), self.servers())
        self.calls[ref].append(caller)
        self.held[ref] = caller
        try:
            await asyncio.sleep(HOLD_SECONDS)
        finally:
            self.held.pop(ref, None)
        return web.json_response({"ref": ref})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/work/{ref}", self.handle)
        return app


class Load:
    """Drives the journeys over `targets` (base URLs, `/api/v1` included) and keeps the ledger of answers."""

    def __init__(self, http: aiohttp.ClientSession, targets: Sequence[str], downstream: Downstream) -> None:
        self.http, self.targets, self.downstream = http, list(targets), downstream
        self.journeys: list[Journey] = []
        self.refused: list[tuple[str, Reply]] = []  # answers no live process should give (5xx, unexpected 4xx)
        self.unanswered: dict[str, int] = defaultdict(int)  # requests a dying process never answered, by kind

    async def send(self, what: str, method: str, url: str, body: bytes | None = None) -> Reply | None:
        reply = await send(self.http, method, url, body)
        if reply is None:
            self.unanswered[what] += 1
        return reply

    def target(self, i: int) -> str:
        return self.targets[i % len(self.targets)]

    async def run(self, payments: int, timers: int, deadlines: int, asyncs: int, seconds: float) -> None:
        """Start every journey, spread over `seconds`, and carry each through its callbacks and its long-poll."""
        kinds: list[Callable[[int], Awaitable[None]]] = []
        kinds += [self._payment] * payments + [self._timer] * timers
        kinds += [self._deadline] * deadlines + [self._async] * asyncs
        order = sorted(range(len(kinds)), key=lambda n: (n * 7919) % len(kinds))  # interleave the kinds

        async def later(slot: int, n: int) -> None:
            await asyncio.sleep(seconds * slot / len(kinds))
            await kinds[n](n)

        await asyncio.gather(*(later(slot, n) for slot, n in enumerate(order)))

    async def _start(self, kind: str, i: int, name: str, body: dict[str, Any], accepted: int) -> Journey | None:
        target = self.target(i)
        reply = await self.send("start", "POST", f"{target}/journeys/{name}/start", orjson.dumps(body))
        if reply is None:
            return None
        if reply.status != accepted:
            self.refused.append((f"start {name} #{i}", reply))
            return None
        journey = Journey(kind, f"{kind}-{i}", str(reply.body["journeyId"]), target, asyncio.get_running_loop().time())
        self.journeys.append(journey)
        return journey

    async def _poll(self, journey: Journey, i: int) -> None:
        """Long-poll the result on the process after the start's (a journey's end is made elsewhere)."""
        url = f"{self.target(i + 1)}/journeys/{journey.id}/result?waitSeconds={LONG_POLL_SECONDS}"
        reply = await self.send("long-poll", "GET", url)
        if reply is not None:
            journey.polls.append(reply)

    async def submit(self, journey: Journey, i: int, step: str, body: dict[str, Any], duplicate: bool) -> Reply:
        """POST a step submission to process `i`, re-sending the same bytes to the next ones while a process dies
        under it (as a gateway retries what got no answer)."""
        raw = orjson.dumps(body)
        for attempt in range(4 * len(self.targets)):
            url = f"{self.target(i + attempt)}/journeys/{journey.id}/steps/{step}"
            reply = await self.send("submission", "POST", url, raw)
            if reply is not None:
                journey.submissions.append((reply, duplicate))
                return reply
            journey.unanswered += 1
            await asyncio.sleep(0.1)
        raise AssertionError(f"no process answered the {step} submission of {journey}")

    async def _payment(self, i: int) -> None:
        ref = f"payment-{i}"
        journey = await self._start(
            "payment", i, "payment-callback", {"paymentId": ref, "amount": 5, "currency": "EUR"}, 200
        )
        if journey is None:
            return
        poll = asyncio.create_task(self._poll(journey, i))
        await asyncio.sleep(0.2 + (i % 5) / 10)
        callback = {"paymentId": ref, "status": "SUCCESS"}
        first = await self.submit(journey, i + 2, "waitForCallback", callback, duplicate=False)
        if i % 3 == 0 and first.status == 200:  # the gateway sends it again, to yet another process
            await self.submit(journey, i, "waitForCallback", callback, duplicate=True)
        await poll

    async def _timer(self, i: int) -> None:
        journey = await self._start("timer", i, "reminder-timer", {"delay": f"PT{2 + i % 3}S"}, 200)
        if journey is not None:
            await self._poll(journey, i)

    async def _deadline(self, i: int) -> None:
        journey = await self._start("deadline", i, "scale-deadline", {}, 200)
        if journey is None:
            return
        poll = asyncio.create_task(self._poll(journey, i))
        if i % 2 == 0:  # decide right about when the 4 s timeout falls due: one of the two must win, once
            await asyncio.sleep(3.6 + (i % 8) / 10)
            await self.submit(journey, i + 2, "decide", {"decision": "yes"}, duplicate=False)
        await poll

    async def _async(self, i: int) -> None:
        url = f"{self.downstream.url}/work/async-{i}"
        journey = await self._start("async", i, "scale-async", {"url": url}, 202)
        if journey is not None:
            await self._poll(journey, i)


async def until(condition: Callable[[], bool | Awaitable[bool]], seconds: float, what: str) -> None:
    """A bounded poll: wait for `condition`, failing with `what` after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await _value(condition()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        await asyncio.sleep(0.25)


async def _value(result: bool | Awaitable[bool]) -> bool:
    return await result if inspect.isawaitable(result) else bool(result)


async def kill_mid_call(downstream: Downstream, suspects: Callable[[], set[int]], began: float) -> tuple[int, set[str]]:
    """Once the load has run 1.5 s (from loop time `began`), SIGKILL one of `suspects` the moment it holds an async
    run in a downstream call, so that run is lost with it; returns its pid and the refs of the runs it held."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        held = [(ref, pid) for ref, pid in list(downstream.held.items()) if pid in suspects()]
        if held and loop.time() - began > 1.5:
            break
        assert loop.time() < deadline, "no server process held an async run in a downstream call within 20 s"
        await asyncio.sleep(0.02)
    victim = held[0][1]
    assert victim is not None
    os.kill(victim, signal.SIGKILL)
    return victim, {ref for ref, pid in held if pid == victim}


async def settle(http: aiohttp.ClientSession, base: str, journeys: Sequence[Journey], seconds: float) -> None:
    """Wait (bounded) until every acknowledged journey has ended, reading the Running ones from `base`."""
    ids = {journey.id for journey in journeys}

    async def ended() -> bool:
        reply = await send(http, "GET", f"{base}/journeys?phase=Running&limit=500")
        assert reply is not None and reply.status == 200, reply
        left = ids & {item["journeyId"] for item in reply.body["items"]}
        return not left

    await until(ended, seconds, "every acknowledged journey ends")


async def check_exactly_once(http: aiohttp.ClientSession, base: str, load: Load, killed: int) -> list[float]:
    """Read each acknowledged journey's status and history from `base` (a survivor) and check the guarantees.
    Returns how long after each journey's end its long-polls were answered (seconds; printed, never asserted)."""
    lags: list[float] = []
    assert not load.refused, load.refused
    for journey in load.journeys:
        status = await send(http, "GET", f"{base}/journeys/{journey.id}")
        history = await send(http, "GET", f"{base}/journeys/{journey.id}/history")
        assert status is not None and status.status == 200 and history is not None, (journey, status)
        phase, events = status.body["phase"], [item["event"] for item in history.body["items"]]
        where = (journey, phase, events)
        if journey.kind == "payment":
            assert (phase, events) == ("Succeeded", ["start", "step"]), where
            _check_callbacks(journey)
        elif journey.kind == "timer":
            assert (phase, events) == ("Succeeded", ["start", "timer"]), where  # fired once, by one process
        elif journey.kind == "deadline":
            _check_race(journey, phase, events)
        else:
            assert (phase, events) == ("Succeeded", ["start", "resume"]), where
            calls = load.downstream.calls[journey.ref]
            # A run lost with its process is made again (its call too), but by one live process only, once.
            by_survivors = [pid for pid in calls if pid not in (killed, None)]
            doubled = f"{journey.ref} ({journey.id}): downstream called by pids {calls}, {killed} was killed"
            assert calls and len(by_survivors) <= 1 and len(calls) - len(by_survivors) <= 1, doubled
        for poll in journey.polls:  # answered by a live process: the end, not "not terminal yet"
            assert (poll.status, poll.body.get("phase")) == (200, phase), (journey, poll)
            if journey.kind != "async":  # an async run's history time is when it began, before its slow call
                lags.append(poll.at - datetime.fromisoformat(history.body["items"][-1]["at"]).timestamp())
    return lags


def check_resumed_once(downstream: Downstream, lost_runs: set[str], killed: int) -> None:
    """The runs the killed process held in a downstream call were resumed by one other process, which called again."""
    for ref in lost_runs:
        calls = downstream.calls[ref]
        assert len([pid for pid in calls if pid not in (killed, None)]) == 1, f"{ref}: called by pids {calls}"


def _check_callbacks(journey: Journey) -> None:
    """Every answered callback was 200; a known duplicate was answered as one; at most one said `applied`."""
    verdicts = [reply.verdict for reply, _ in journey.submissions]
    assert all(reply.status == 200 for reply, _ in journey.submissions), journey
    assert verdicts.count("applied") <= 1 and set(verdicts) <= {"applied", "duplicate"}, journey
    assert all(reply.verdict == "duplicate" for reply, again in journey.submissions if again), journey
    # Applied by the process that died, unanswered: the re-sent one must then be the duplicate of it.
    assert verdicts.count("applied") == 1 or journey.unanswered > 0, journey


def _check_race(journey: Journey, phase: str, events: list[str]) -> None:
    """A decision and a timeout raced: exactly one moved the journey, and the answers agree with which."""
    answered = [reply for reply, _ in journey.submissions]
    assert all(reply.status in (200, 409) for reply in answered), journey
    decided = any(reply.status == 200 for reply in answered)
    if decided:
        assert (phase, events) == ("Succeeded", ["start", "step"]), (journey, phase, events)
    elif answered:  # answered 409: the step had closed, so the timeout fired (once)
        assert (phase, events) == ("Failed", ["start", "timeout"]), (journey, phase, events)
    else:
        assert (phase, events) in (("Failed", ["start", "timeout"]), ("Succeeded", ["start", "step"])), journey


def children(parent: int) -> set[int]:
    """The child processes of `parent` (every thread's children, as /proc lists them)."""
    found: set[int] = set()
    with contextlib.suppress(FileNotFoundError):  # the parent is gone
        for task in Path(f"/proc/{parent}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):  # a thread that just ended
                found |= {int(pid) for pid in (task / "children").read_text().split()}
    return found


def socket_owner(local_port: int, pids: set[int]) -> int | None:
    """Which of `pids` holds the loopback TCP socket bound to `local_port` (the client end of a call it makes)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                    inodes.add(fields[9])
    for pid in pids:
        try:
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        except OSError:
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            return pid
    return None


def summary(load: Load, lost_runs: set[str], killed_at: float, lags: list[float]) -> dict[str, object]:
    """What the run exercised (printed with -s): a test that exercised nothing proves nothing."""
    lags = sorted(lags) or [0.0]
    submissions = [pair for journey in load.journeys for pair in journey.submissions]
    return {
        **{kind: sum(j.kind == kind for j in load.journeys) for kind in ("payment", "timer", "deadline", "async")},
        "duplicates": sum(reply.verdict == "duplicate" for reply, _ in submissions),
        **{f"unanswered {what}s": count for what, count in load.unanswered.items()},
        "decisions lost to the timeout": sum(reply.status == 409 for reply, _ in submissions),
        "long-polls answered": sum(len(journey.polls) for journey in load.journeys),
        "runs lost with the process": len(lost_runs),
        "downstream calls made twice": sum(len(calls) > 1 for calls in load.downstream.calls.values()),
        "started after the kill": sum(journey.acked_at > killed_at for journey in load.journeys),
        "long-poll answer after the end p50/max (s)": (round(lags[len(lags) // 2], 3), round(lags[-1], 3)),
    }
