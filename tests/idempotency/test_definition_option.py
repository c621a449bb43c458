"""`spec.lifecycle.idempotencyKey` at load: a `${...}` template over the start body, or a load error naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.definitions import DefinitionErrors, load_definition

JOURNEY = """
apiVersion: v1
kind: Journey
metadata: {{name: keyed, version: "1"}}
spec:
  lifecycle:
    idempotencyKey: {key}
  start: done
  states:
    done: {{type: succeed}}
"""


def _load(tmp_path: Path, key: str) -> object:
    path = tmp_path / "keyed.journey.yaml"
    path.write_text(JOURNEY.format(key=key))
    return load_definition(path)


def test_the_key_template_is_compiled_at_load(tmp_path: Path) -> None:
    definition = _load(tmp_path, '"${context.payment.id}:${context.attempt}"')
    template = definition.idempotency_key  # type: ignore[attr-defined]
    assert template.render({"payment": {"id": "p-1"}, "attempt": 2}) == "p-1:2"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ('"always-the-same"', "must derive the key from the start body, e.g. '${context.paymentId}'"),
        ('"${context.paymentId"', "interpolation does not parse"),
        ("[a, b]", "must be a non-empty string"),
        ('""', "must be a non-empty string"),
    ],
    ids=["constant", "malformed", "not-a-string", "empty"],
)
def test_an_unusable_key_template_is_a_load_error(tmp_path: Path, key: str, message: str) -> None:
    with pytest.raises(DefinitionErrors) as raised:
        _load(tmp_path, key)
    assert message in str(raised.value) and "idempotencyKey" in str(raised.value)
