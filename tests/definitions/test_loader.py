"""Loading valid definitions into the compiled model, and the behaviours around it (discovery, YAML dialect)."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType

import pytest
import yaml

from journeys.definitions import DefinitionErrors, load_definition, load_definitions
from journeys.definitions.model import (
    ApiKeyValidateTask,
    ChoiceState,
    ExternalInputState,
    FailState,
    SucceedState,
    TaskState,
    TransformState,
)

PROJECT_DEFINITIONS = Path(__file__).resolve().parents[2] / "definitions"

ORDER_APPROVAL = """
apiVersion: v1
kind: Journey
metadata:
  name: order-approval
  version: 2.1.0
  description: Approve large orders by hand.
  tags: [orders, manual-review]
spec:
  apis:
    orders: { openApiRef: apis/orders.openapi.yaml }
  input:
    schema:
      type: object
      required: [orderId, amount]
      properties:
        orderId: { type: string }
        amount: { type: number }
  output:
    schema: { type: object }
    response:
      outputVar: summary
      schema: { type: object, properties: { decision: { type: string } } }
  context:
    schema: { type: object }
  mappers:
    summarise:
      lang: jsonata
      expr: "{'orderId': context.orderId, 'decision': context.approval.decision}"
  lifecycle: { startMode: async, cancellable: false }
  httpSurface: { links: { enabled: false } }
  start: checkKey
  states:
    checkKey:
      type: task
      task:
        kind: apiKeyValidate:v1
        profile: partners
        source: { location: query, name: api_key }
        authVar: caller
      next: route
    route:
      type: choice
      choices:
        - when:
            predicate: { lang: jsonata, expr: "context.amount > 1000" }
          next: approve
      default: summarise
    approve:
      type: wait
      wait:
        channel: manual
        input:
          schema:
            type: object
            required: [decision]
            properties: { decision: { enum: [approved, rejected] } }
        response:
          outputVar: stepResponse
          schema: { type: object, properties: { decision: { type: string } } }
        timeoutSec: 3600
        onTimeout: expired
        default: record
    record:
      type: transform
      transform:
        mapper: { lang: jsonata, expr: "context.payload" }
        target: { kind: context, path: approval.latest }
      next: summarise
    summarise:
      type: transform
      transform:
        mapperRef: summarise
        target: { kind: var }
      resultVar: summary
      next: done
    done:
      type: succeed
      outputVar: summary
    expired:
      type: fail
      errorCode: APPROVAL_EXPIRED
      reason: Nobody decided in time.
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path


ORDERS_API = """
openapi: 3.1.0
info: {title: Orders, version: "1"}
servers: [{url: "https://orders.example.com/v1"}]
paths:
  /orders/{orderId}:
    get:
      operationId: getOrder
      parameters: [{in: path, name: orderId, required: true, schema: {type: string}}]
      responses: {"200": {description: OK}}
"""


@pytest.fixture(autouse=True)
def orders_api(tmp_path: Path) -> None:
    """ORDER_APPROVAL declares `spec.apis.orders`; its OpenAPI document must exist beside the definition."""
    (tmp_path / "apis").mkdir()
    write(tmp_path / "apis", "orders.openapi.yaml", ORDERS_API)


def test_valid_definition_compiles_into_the_model(tmp_path: Path) -> None:
    path = write(tmp_path, "order-approval.journey.yaml", ORDER_APPROVAL)

    definition = load_definition(path)

    assert (definition.name, definition.version, definition.source) == ("order-approval", "2.1.0", path)
    assert definition.description == "Approve large orders by hand."
    assert (definition.start_mode, definition.cancellable, definition.links_enabled) == ("async", False, False)
    assert definition.start == "checkKey"
    assert list(definition.states) == ["checkKey", "route", "approve", "record", "summarise", "done", "expired"]
    assert definition.states["checkKey"] == TaskState(
        id="checkKey",
        task=ApiKeyValidateTask(profile="partners", source_location="query", source_name="api_key", auth_var="caller"),
        next="route",
    )
    route = definition.states["route"]
    assert isinstance(route, ChoiceState)
    assert route.default == "summarise"
    assert [branch.next for branch in route.branches] == ["approve"]
    assert route.branches[0].predicate.source == "context.amount > 1000"
    assert definition.states["done"] == SucceedState(id="done", output_var="summary")
    assert definition.states["expired"] == FailState(
        id="expired", error_code="APPROVAL_EXPIRED", reason="Nobody decided in time."
    )


def test_wait_state_takes_default_as_next_and_compiles_its_schemas(tmp_path: Path) -> None:
    definition = load_definition(write(tmp_path, "order-approval.journey.yaml", ORDER_APPROVAL))

    approve = definition.external_input("approve")

    assert isinstance(approve, ExternalInputState)
    assert (approve.type, approve.next, approve.timeout_sec, approve.on_timeout) == ("wait", "record", 3600, "expired")
    assert approve.response_output_var == "stepResponse"
    assert approve.response_schema is not None
    assert approve.input_schema.errors({"decision": "approved"}) == []
    assert approve.input_schema.errors({"decision": "maybe"}) == [
        '/decision: "maybe" is not one of "approved" or "rejected"'
    ]
    assert definition.input_schema is not None
    assert definition.input_schema.errors({"orderId": "o-1"}) == ['/: "amount" is a required property']


def test_transform_targets_and_shared_mappers(tmp_path: Path) -> None:
    definition = load_definition(write(tmp_path, "order-approval.journey.yaml", ORDER_APPROVAL))

    record = definition.states["record"]
    summarise = definition.states["summarise"]

    assert isinstance(record, TransformState) and isinstance(summarise, TransformState)
    assert (record.target_kind, record.path, record.result_var) == ("context", ("approval", "latest"), None)
    assert (summarise.target_kind, summarise.path, summarise.result_var) == ("var", (), "summary")
    assert summarise.mapper.lang == "jsonata"
    assert "context.approval.decision" in summarise.mapper.source


def test_transform_accepts_result_var_inside_the_transform_block_and_empty_path(tmp_path: Path) -> None:
    text = ORDER_APPROVAL.replace(
        "        target: { kind: var }\n      resultVar: summary\n",
        "        target: { kind: var }\n        resultVar: summary\n",
    ).replace("path: approval.latest", "path: ''")

    definition = load_definition(write(tmp_path, "order-approval.journey.yaml", text))

    summarise = definition.states["summarise"]
    record = definition.states["record"]
    assert isinstance(summarise, TransformState) and isinstance(record, TransformState)
    assert summarise.result_var == "summary"
    assert record.path == ()


def test_defaults_when_optional_blocks_are_absent(tmp_path: Path) -> None:
    text = """
apiVersion: v1
kind: Journey
metadata: { name: minimal, version: "1" }
spec:
  start: check
  states:
    check:
      type: task
      task: { kind: apiKeyValidate:v1 }
      next: done
    done: { type: succeed }
"""
    definition = load_definition(write(tmp_path, "minimal.journey.yaml", text))

    assert definition.states["check"] == TaskState(id="check", task=ApiKeyValidateTask(), next="done")
    assert (definition.input_schema, definition.output_schema, definition.description) == (None, None, None)
    assert (definition.start_mode, definition.cancellable, definition.links_enabled) == ("sync", True, True)


def test_definition_is_immutable_and_keeps_the_raw_document(tmp_path: Path) -> None:
    definition = load_definition(write(tmp_path, "order-approval.journey.yaml", ORDER_APPROVAL))

    assert isinstance(definition.states, MappingProxyType)
    with pytest.raises(TypeError):
        definition.states["extra"] = definition.states["done"]  # type: ignore[index]
    assert definition.raw == yaml.safe_load(ORDER_APPROVAL)


def test_yaml_is_read_as_yaml_1_2_so_values_stay_json_compatible(tmp_path: Path) -> None:
    text = ORDER_APPROVAL.replace("description: Approve large orders by hand.", "description: on")
    text = text.replace(
        "properties: { decision: { enum: [approved, rejected] } }", "properties: { day: { const: 2024-01-31 } }"
    )
    text = text.replace("required: [decision]", "required: [day]")

    definition = load_definition(write(tmp_path, "order-approval.journey.yaml", text))

    assert definition.description == "on"
    approve = definition.external_input("approve")
    assert approve is not None
    assert approve.input_schema.errors({"day": "2024-01-31"}) == []


def test_json_definitions_are_supported(tmp_path: Path) -> None:
    document = yaml.safe_load(ORDER_APPROVAL)
    path = write(tmp_path, "order-approval.journey.json", json.dumps(document))

    assert load_definition(path).name == "order-approval"


def test_all_errors_of_a_file_are_collected(tmp_path: Path) -> None:
    text = (
        ORDER_APPROVAL.replace("next: route", "next: rout")
        .replace("errorCode: APPROVAL_EXPIRED", "errorCode: ''")
        .replace("type: number", "type: numeric")
        .replace("startMode: async", "startMode: later")
    )

    with pytest.raises(DefinitionErrors) as raised:
        load_definition(write(tmp_path, "order-approval.journey.yaml", text))

    fields = [error.field for error in raised.value.errors]
    assert sorted(fields) == [
        "spec.input.schema.properties.amount.type",
        "spec.lifecycle.startMode",
        "spec.states.checkKey.next",
        "spec.states.expired.errorCode",
    ]
    assert [error.line for error in raised.value.errors] == sorted(error.line or 0 for error in raised.value.errors)
    assert len(str(raised.value).splitlines()) == 4


def test_load_definitions_scans_directories_for_definition_suffixes(tmp_path: Path) -> None:
    write(tmp_path, "a.journey.yaml", ORDER_APPROVAL)
    write(tmp_path, "b.journey.yml", ORDER_APPROVAL.replace("name: order-approval", "name: second"))
    write(tmp_path, "c.journey.json", json.dumps(yaml.safe_load(ORDER_APPROVAL.replace("order-approval", "third"))))
    write(tmp_path, "notes.yaml", "not: [a, definition")
    (tmp_path / "nested").mkdir()
    write(tmp_path / "nested", "d.journey.yaml", "ignored: true")

    definitions = load_definitions([tmp_path, tmp_path / "a.journey.yaml"])

    assert sorted(definitions) == ["order-approval", "second", "third"]


def test_missing_paths_are_reported(tmp_path: Path) -> None:
    with pytest.raises(DefinitionErrors) as raised:
        load_definitions([tmp_path / "absent"])

    [error] = raised.value.errors
    assert (error.file, error.message) == (str(tmp_path / "absent"), "no such file or directory")


def test_empty_document_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(DefinitionErrors, match="a definition must be a mapping"):
        load_definition(write(tmp_path, "empty.journey.yaml", ""))


def test_project_definitions_load() -> None:
    files = sorted(PROJECT_DEFINITIONS.glob("*.journey.yaml"))
    if not files:
        pytest.skip(f"no definitions in {PROJECT_DEFINITIONS} yet")

    definitions = load_definitions([PROJECT_DEFINITIONS])

    assert len(definitions) == len(files)


def test_numeric_version_must_be_quoted(tmp_path: Path) -> None:
    text = ORDER_APPROVAL.replace("version: 2.1.0", "version: 2.10")

    with pytest.raises(DefinitionErrors) as raised:
        load_definition(write(tmp_path, "order-approval.journey.yaml", text))

    [error] = raised.value.errors
    assert error.field == "metadata.version"
    assert "quote it" in error.message


def test_unsupported_constructs_do_not_cause_false_unreachable_errors(tmp_path: Path) -> None:
    # `xmlDecode:v1` is a task kind this engine cannot parse: its state's edges are unknown, so whether `retry` is
    # reached (as a plugin's configuration may name states) cannot be decided, and only the kind is reported.
    text = """
apiVersion: v1
kind: Journey
metadata: { name: decoding, version: 0.1.0 }
spec:
  start: decode
  states:
    decode:
      type: task
      task: { kind: "xmlDecode:v1", sourceVar: rawXml, resultVar: parsed }
      next: done
    done: { type: succeed }
    retry: { type: succeed }
"""
    with pytest.raises(DefinitionErrors) as raised:
        load_definition(write(tmp_path, "decoding.journey.yaml", text))

    [error] = raised.value.errors
    assert (error.state, error.field, error.unsupported) == ("decode", "spec.states.decode.task.kind", True)


def test_expression_syntax_errors_point_at_the_line_in_the_file(tmp_path: Path) -> None:
    text = """
apiVersion: v1
kind: Journey
metadata: { name: shaped, version: 0.1.0 }
spec:
  start: shape
  states:
    shape:
      type: transform
      transform:
        mapper:
          lang: dataweave
          expr: |
            {
              total: context.amount +,
              currency: context.currency
            }
      next: done
    done: { type: succeed }
"""
    path = write(tmp_path, "shaped.journey.yaml", text)
    bad_line = text.splitlines().index("              total: context.amount +,") + 1

    with pytest.raises(DefinitionErrors) as raised:
        load_definition(path)

    [error] = raised.value.errors
    assert (error.state, error.field, error.line) == ("shape", "spec.states.shape.transform.mapper.expr", bad_line)
    assert error.message.startswith("dataweave expression does not parse")
    assert "line 2" in error.message
