"""The state diagram (`journeys.contracts.diagram.render_diagram`): every definition we ship or load renders as
well-formed SVG with one node per state and one labelled edge per way out of a state, laid out without nodes
or labels on top of each other; a path taken is drawn over it; hostile text cannot break out of the markup;
the same input gives the same bytes, in any process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import pytest

from journeys.contracts.diagram import TIMES, render_diagram
from journeys.definitions import load_definition, load_definition_text
from journeys.definitions.model import ChoiceState, ExternalInputState, JourneyDefinition, TaskState
from tests.contracts.diagram_reading import SVG, Diagram
from tests.support import ROOT, SHIPPED_DEFINITIONS, TEST_DEFINITIONS, loadable_examples, needs_shared_examples

OURS = sorted([*SHIPPED_DEFINITIONS.glob("*.journey.yaml"), *TEST_DEFINITIONS.glob("*.journey.yaml")])
PAYMENT_CALLBACK = SHIPPED_DEFINITIONS / "payment-callback.journey.yaml"
# A callback with a good secret but another payment's id goes back to wait; the next one settles the payment.
LOOP_THEN_PAID = [
    *("waitForCallback", "checkGatewaySecret", "routeOnSecret", "checkPaymentId"),
    *("waitForCallback", "checkGatewaySecret", "routeOnSecret", "checkPaymentId"),
    *("recordCallback", "routeOnStatus", "settle", "paid"),
]
HOSTILE = r"""
apiVersion: v1
kind: Journey
metadata:
  name: hostile
  version: "1 <b>&amp;\"'"
spec:
  start: ask
  states:
    ask:
      type: wait
      wait:
        input: {schema: {type: object}}
        timeoutSec: 90
        onTimeout: gone
      next: ask-again
    ask-again:
      type: choice
      choices:
        - when:
            predicate:
              lang: dataweave
              expr: "payload.note == \"</text><script>alert('x')</script> ]]> & \u0001\""
          next: done
      default: ask
    done:
      type: succeed
    gone:
      type: fail
      errorCode: "E<&>"
      reason: "]]> <!-- & \u0007 -->"
"""


def _expected_labels(definition: JourneyDefinition) -> dict[tuple[str, str], list[str]]:
    """What each edge must say, read from the model: a branch its condition (on one line), the default and a
    timeout their names, a `next` what moves the state on."""
    expected: dict[tuple[str, str], list[str]] = {}
    for state in definition.states.values():
        if isinstance(state, ChoiceState):
            for branch in state.branches:
                expected.setdefault((state.id, branch.next), []).append(" ".join(branch.predicate.source.split()))
            if state.default:
                expected.setdefault((state.id, state.default), []).append("default")
        elif isinstance(state, ExternalInputState):
            moved_by = "on submit" if state.type == "wait" else "on callback"
            expected.setdefault((state.id, state.next), []).append(moved_by)
            if state.on_timeout:
                expected.setdefault((state.id, state.on_timeout), []).append("onTimeout")
        elif getattr(state, "next", None) is not None:  # a parallel without `next` ends the journey at its join
            expected.setdefault((state.id, state.next), []).append("next")
    return expected


def _assert_shows(definition: JourneyDefinition, diagram: Diagram) -> None:
    assert set(diagram.nodes) == set(definition.states)
    for state in definition.states.values():
        node = diagram.nodes[state.id]
        marker = state.task.kind.split(":")[0] if isinstance(state, TaskState) else state.type
        assert f"type-{state.type}" in node.classes and node.element.get("data-type") == marker
        assert node.texts == [marker, state.id] and node.title.startswith(f"{state.id}: ")
    expected = _expected_labels(definition)
    assert set(diagram.edges) == set(expected)
    for (source, target), labels in expected.items():
        edge = diagram.edges[(source, target)]
        assert edge.title.startswith(f"{source} → {target}: ")
        assert len(edge.texts) == len(labels)
        for shown, label in zip(edge.texts, labels, strict=True):
            # A long condition is cut short with an ellipsis; the tooltip has it whole.
            assert shown == label or (shown.endswith("…") and label.startswith(shown[:-1])) or shown.startswith(label)
            assert label in edge.title


def _assert_legible(diagram: Diagram) -> None:
    """No two states overlap, no label starts inside a state, and everything is inside the picture."""
    boxes = {state: diagram.box(state) for state in diagram.nodes}
    for (a, box_a), (b, box_b) in combinations(boxes.items(), 2):
        assert not box_a.overlaps(box_b), f"{a} and {b} overlap"
    width, height = diagram.size
    for state, box in boxes.items():
        assert box.x >= 0 and box.y >= 0 and box.x + box.width <= width and box.y + box.height <= height, state
        for text, x, y in diagram.label_starts():
            assert not box.contains(x, y - 4), f"label {text!r} starts inside {state}"


@pytest.mark.parametrize("path", OURS, ids=lambda path: path.name.removesuffix(".journey.yaml"))
def test_every_definition_of_ours_renders_every_state_and_transition(path: Path) -> None:
    definition = load_definition(path)
    diagram = Diagram(render_diagram(definition))
    _assert_shows(definition, diagram)
    _assert_legible(diagram)


@needs_shared_examples
@pytest.mark.parametrize("path", loadable_examples(), ids=lambda path: path.parent.name)
def test_every_loadable_journeyforge_example_renders_every_state_and_transition(path: Path) -> None:
    definition = load_definition(path)
    diagram = Diagram(render_diagram(definition))
    _assert_shows(definition, diagram)
    _assert_legible(diagram)


def test_the_path_taken_is_drawn_over_the_graph_with_how_often_each_edge_was_taken() -> None:
    definition = load_definition(PAYMENT_CALLBACK)
    diagram = Diagram(render_diagram(definition, "paid", LOOP_THEN_PAID))
    taken = {pair: edge.taken for pair, edge in diagram.edges.items() if "taken" in edge.classes}
    assert taken == {
        ("waitForCallback", "checkGatewaySecret"): 2,
        ("checkGatewaySecret", "routeOnSecret"): 2,
        ("routeOnSecret", "checkPaymentId"): 2,
        ("checkPaymentId", "waitForCallback"): 1,
        ("checkPaymentId", "recordCallback"): 1,
        ("recordCallback", "routeOnStatus"): 1,
        ("routeOnStatus", "settle"): 1,
        ("settle", "paid"): 1,
    }
    assert diagram.edges[("waitForCallback", "checkGatewaySecret")].texts == [f"on callback {TIMES}2"]
    assert "taken 2 times" in diagram.edges[("routeOnSecret", "checkPaymentId")].title
    assert diagram.edges[("settle", "paid")].texts == ["next"]  # once: no count
    assert {state for state, node in diagram.nodes.items() if "taken" in node.classes} == set(LOOP_THEN_PAID)
    assert [state for state, node in diagram.nodes.items() if "current" in node.classes] == ["paid"]
    assert "entered 2 times" in diagram.nodes["waitForCallback"].title
    assert "has-path" in diagram.root.get("class", "").split()
    assert "current state paid" in diagram.root.get("aria-label", "")
    halos = [element for element in diagram.root.iter(f"{SVG}rect") if element.get("class") == "halo"]
    assert len(halos) == 1 and float(halos[0].get("width", "0")) > diagram.box("paid").width


def test_without_a_path_nothing_is_taken_or_current() -> None:
    diagram = Diagram(render_diagram(load_definition(PAYMENT_CALLBACK)))
    shown = [*diagram.nodes.values(), *diagram.edges.values()]
    assert not any({"taken", "current"} & item.classes for item in shown)
    assert "has-path" not in diagram.root.get("class", "").split()
    assert all(element.get("class") != "halo" for element in diagram.root.iter(f"{SVG}rect"))


def test_states_of_another_version_and_moves_no_edge_makes_are_told_apart() -> None:
    """A path may name states this definition does not have (a journey of another version) and move between
    states no edge joins (an operator's retry): the first are ignored, the second drawn as a dashed jump."""
    definition = load_definition(PAYMENT_CALLBACK)
    path = ["waitForCallback", "goneInVersion2", "checkGatewaySecret", "routeOnSecret", "checkPaymentId", "declined"]
    diagram = Diagram(render_diagram(definition, "goneInVersion2", path))
    assert not any("current" in node.classes for node in diagram.nodes.values())
    assert diagram.edges[("waitForCallback", "checkGatewaySecret")].taken == 1  # the unknown state dropped
    assert set(diagram.jumps) == {("checkPaymentId", "declined")}
    assert "taken" in diagram.jumps[("checkPaymentId", "declined")].classes
    assert "goneInVersion2" not in diagram.root.get("aria-label", "")


def test_hostile_text_from_a_definition_stays_text() -> None:
    definition = load_definition_text(HOSTILE, "hostile.journey.yaml")
    svg = render_diagram(definition, "ask", ["ask", "ask-again", "ask", "ask-again", "done"])
    diagram = Diagram(svg)  # well-formed despite <, &, quotes, ]]> and control characters
    assert [element.tag for element in diagram.root.iter() if "script" in element.tag] == []
    condition = diagram.edges[("ask-again", "done")]
    assert "</text><script>alert('x')</script> ]]> & \\x01" in condition.title
    assert condition.texts == ['payload.note == "</text><script>ale…']
    assert "E<&>: ]]> <!-- & \\x07 -->" in diagram.nodes["gone"].title
    assert "hostile 1 <b>&amp;\"'" in diagram.root.get("aria-label", "")
    assert diagram.edges[("ask-again", "ask")].taken == 1 and diagram.edges[("ask", "ask-again")].taken == 2


def test_state_ids_the_loader_would_refuse_are_escaped_too() -> None:
    """The renderer does not rely on the loader's id rules: any model it is given renders as well-formed SVG."""
    definition = load_definition_text(HOSTILE, "hostile.journey.yaml")
    renamed = {"ask": "a<\"&'>\n]]>", "ask-again": "b\x00c", "done": "d", "gone": "g"}
    states = {}
    for state_id, state in definition.states.items():
        changes = {
            name: renamed[getattr(state, name)]
            for name in ("next", "default", "on_timeout")
            if getattr(state, name, None)
        }
        if isinstance(state, ChoiceState):
            changes["branches"] = tuple(replace(branch, next=renamed[branch.next]) for branch in state.branches)
        states[renamed[state_id]] = replace(state, id=renamed[state_id], **changes)
    hostile = replace(definition, states=states, start=renamed["ask"])
    diagram = Diagram(render_diagram(hostile, renamed["ask"], [renamed["ask"], "b\x00c"]))
    assert set(diagram.nodes) == {"a<\"&'>\n]]>", "b\\x00c", "d", "g"}
    assert ("a<\"&'>\n]]>", "b\\x00c") in diagram.edges
    assert "current" in diagram.nodes["a<\"&'>\n]]>"].classes


def test_a_state_that_leads_to_itself_gets_a_labelled_loop() -> None:
    definition = load_definition_text(
        """
apiVersion: v1
kind: Journey
metadata: {name: readings, version: "1"}
spec:
  start: reading
  states:
    reading:
      type: wait
      wait: {input: {schema: {type: object}}, timeoutSec: 3600, onTimeout: done}
      next: reading
    done: {type: succeed}
""",
        "readings.journey.yaml",
    )
    diagram = Diagram(render_diagram(definition, "reading", ["reading", "reading", "reading"]))
    loop = diagram.edges[("reading", "reading")]
    assert loop.texts == [f"on submit {TIMES}2"] and loop.taken == 2
    _assert_legible(diagram)


def test_a_long_chain_renders_every_state_in_order() -> None:
    """A chain far longer than any journey (no recursion limit, layers top to bottom in order)."""
    count = 150
    states = "".join(
        f"    s{i}: {{type: transform, transform: {{mapper: {{lang: dataweave, expr: context}}, "
        f"target: {{kind: context}}}}, next: s{i + 1}}}\n"
        for i in range(count - 1)
    )
    text = "apiVersion: v1\nkind: Journey\nmetadata: {name: chain, version: '1'}\nspec:\n  start: s0\n  states:\n"
    definition = load_definition_text(text + states + f"    s{count - 1}: {{type: succeed}}\n", "chain.journey.yaml")
    diagram = Diagram(render_diagram(definition))
    assert len(diagram.nodes) == count and len(diagram.edges) == count - 1
    tops = [diagram.box(f"s{i}").y for i in range(count)]
    assert tops == sorted(tops) and len(set(tops)) == count


def test_the_same_input_gives_the_same_bytes_in_any_process() -> None:
    """Nothing depends on set or hash order, object ids or the clock: another process with another hash seed
    draws the same bytes (the console may cache a diagram by definition digest and path)."""
    arguments = ("hostile.journey.yaml", "ask", ["ask", "ask-again", "ask", "ask-again", "done"])
    first = render_diagram(load_definition_text(HOSTILE, arguments[0]), *arguments[1:])
    assert render_diagram(load_definition_text(HOSTILE, arguments[0]), *arguments[1:]) == first
    script = (
        "import sys\n"
        "from journeys.contracts.diagram import TIMES, render_diagram\n"
        "from journeys.definitions import load_definition_text\n"
        "from tests.contracts.test_diagram import HOSTILE\n"
        "sys.stdout.write(render_diagram(load_definition_text(HOSTILE, 'hostile.journey.yaml'), 'ask', "
        "['ask', 'ask-again', 'ask', 'ask-again', 'done']))\n"
    )
    for seed in ("1", "4242"):
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONIOENCODING": "utf-8"},
            capture_output=True,
            check=True,
        )
        assert done.stdout.decode("utf-8") == first
    example = load_definition(PAYMENT_CALLBACK)
    assert render_diagram(example, "paid", LOOP_THEN_PAID) == render_diagram(example, "paid", LOOP_THEN_PAID)
