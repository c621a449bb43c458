"""How long drawing a journey's state diagram takes (`journeys.contracts.diagram.render_diagram`).

Renders the largest definition found (the shipped ones, the test fixtures and, when ../shared is present, the
JourneyForge examples) and a synthetic 100-state graph (a chain with choices that skip ahead and loop back, and
timed steps that all time out to one fail state), each with a path taken through it, and prints the median and
the worst of R renders in milliseconds, with the SVG's size. Not a test: it only measures and prints.

    .venv/bin/python bench/diagram_bench.py
    .venv/bin/python bench/diagram_bench.py --states 300 --repeat 50
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from journeys.contracts.diagram import render_diagram  # noqa: E402
from journeys.contracts.journey_paths import journey_paths  # noqa: E402
from journeys.definitions import DefinitionErrors, load_definition, load_definition_text  # noqa: E402
from journeys.definitions.model import JourneyDefinition  # noqa: E402

SEARCHED = (
    "definitions/*.journey.yaml",
    "tests/fixtures/journeys/*.journey.yaml",
    "../shared/journeyforge/examples/*/*.journey.yaml",
)


def synthetic(count: int) -> JourneyDefinition:
    """`count` states: s0 -> s1 -> ... -> a succeed state, where every 10th state from the 6th is a choice that
    goes on, loops back 5 states or skips 4 ahead, every 10th from the 3rd a wait that times out to `expired`,
    and every 10th from the 8th a webhook."""
    last = count - 2
    lines = ["apiVersion: v1", "kind: Journey", "metadata: {name: synthetic, version: 1.0.0}", "spec:"]
    lines += ["  start: s0", "  states:", "    expired: {type: fail, errorCode: EXPIRED}"]
    lines.append(f"    s{last}: {{type: succeed}}")
    for i in range(last):
        following = f"s{i + 1}"
        if i % 10 == 6:
            lines += [
                f"    s{i}:",
                "      type: choice",
                "      choices:",
                f"        - {{when: {{predicate: {predicate(f'payload.n > {i}')}}}, next: {following}}}",
                f"        - {{when: {{predicate: {predicate('payload.n < 0')}}}, next: s{max(0, i - 5)}}}",
                f"      default: s{min(i + 4, last)}",
            ]
        elif i % 10 in (3, 8):
            kind = "wait" if i % 10 == 3 else "webhook"
            timeout = ", timeoutSec: 60, onTimeout: expired" if kind == "wait" else ""
            step = f"{{input: {{schema: {{type: object}}}}{timeout}}}"
            lines.append(f"    s{i}: {{type: {kind}, {kind}: {step}, next: {following}}}")
        else:
            mapper = "{mapper: {lang: dataweave, expr: context}, target: {kind: context}}"
            lines.append(f"    s{i}: {{type: transform, transform: {mapper}, next: {following}}}")
    return load_definition_text("\n".join(lines) + "\n", "synthetic.journey.yaml")


def predicate(expression: str) -> str:
    return f"{{lang: dataweave, expr: '{expression}'}}"


def largest() -> JourneyDefinition:
    found = []
    for pattern in SEARCHED:
        for path in sorted(ROOT.glob(pattern)):
            try:
                found.append(load_definition(path))
            except DefinitionErrors:
                continue
    return max(found, key=lambda definition: (len(definition.states), definition.name))


def measure(label: str, definition: JourneyDefinition, repeat: int) -> None:
    paths = journey_paths(definition)
    walked = list(max(paths, key=lambda found: len(found.states)).states) if paths else [definition.start]
    timings = []
    for _ in range(repeat):
        began = time.process_time()
        svg = render_diagram(definition, walked[-1], walked)
        timings.append((time.process_time() - began) * 1000)
    print(
        f"{label:<42} {len(definition.states):>4} states  median {statistics.median(timings):7.2f} ms  "
        f"max {max(timings):7.2f} ms  {len(svg) / 1024:7.1f} KiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--states", type=int, default=100, help="states of the synthetic graph (default 100)")
    parser.add_argument("--repeat", type=int, default=30, help="renders of each graph (default 30)")
    arguments = parser.parse_args()
    definition = largest()
    measure(f"largest definition ({definition.name})", definition, arguments.repeat)
    measure("synthetic chain with branches and loops", synthetic(arguments.states), arguments.repeat)


if __name__ == "__main__":
    main()
