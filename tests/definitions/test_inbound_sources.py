"""Source files (`kind: InboundSource`) and `webhook.source` references: a mistake names file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.definitions import DefinitionErrors, load_catalog
from journeys.definitions.inbound_sources import load_source
from tests.support import SHIPPED_DEFINITIONS

VALID = """\
apiVersion: v1
kind: InboundSource
metadata:
  name: acme
spec:
  verify:
    preset: hmac
    header: X-Acme-Signature
    algorithm: sha256
    prefix: "sha256="
  correlation:
    key: { lang: dataweave, expr: payload.order }
"""


def write(tmp_path: Path, text: str, name: str = "acme.source.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_valid_source_compiles_with_its_defaults(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, VALID))
    assert (source.name, source.verify.preset, source.verify.secrets) == ("acme", "hmac", "acme")
    assert source.verify.tolerance_sec == 300 and source.inbox_ttl_sec == 86_400
    assert source.answer.status == 200 and source.answer.body is None
    assert source.correlation.evaluate({}, {"order": "o-1"}) == "o-1"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (("preset: hmac", "preset: paypal"), "spec.verify.preset", "must be one of"),
        (("    header: X-Acme-Signature\n", ""), "spec.verify.header", "required by preset 'hmac'"),
        (("algorithm: sha256", "algorithm: md5"), "spec.verify.algorithm", "must be one of"),
        (
            ('    prefix: "sha256="\n', '    prefix: "sha256="\n    rejectStatus: 500\n'),
            "spec.verify.rejectStatus",
            "401 or 403",
        ),
        (
            ('    prefix: "sha256="\n', '    prefix: "sha256="\n    signedContent: "{header:X-T}"\n'),
            "spec.verify.signedContent",
            "must contain {body}",
        ),
        (("expr: payload.order", "expr: payload.order +"), "spec.correlation.key.expr", "does not parse"),
        (("name: acme", "name: Acme Pay"), "metadata.name", "lowercase slug"),
        (("name: acme", "name: stats"), "metadata.name", "taken by /api/v1/inbound/stats"),
        (("kind: InboundSource", "kind: Source"), "kind", "must be 'InboundSource'"),
        (("  correlation:", "  answer: { status: 500 }\n  correlation:"), "spec.answer.status", "2xx"),
        (("  correlation:", "  colour: blue\n  correlation:"), "spec.colour", "unknown field"),
    ],
)
def test_a_broken_source_names_the_field(tmp_path: Path, change: tuple[str, str], field: str, message: str) -> None:
    path = write(tmp_path, VALID.replace(*change))
    with pytest.raises(DefinitionErrors) as failure:
        load_source(path)
    errors = failure.value.errors
    assert any(e.field == field and message in e.message and e.file == str(path) and e.line for e in errors), errors


def test_a_preset_field_that_does_not_apply_is_refused(tmp_path: Path) -> None:
    text = VALID.replace("preset: hmac", "preset: stripe").replace("    algorithm: sha256\n", "")
    with pytest.raises(DefinitionErrors) as failure:
        load_source(write(tmp_path, text))
    fields = {error.field for error in failure.value.errors}
    assert {"spec.verify.header", "spec.verify.prefix"} <= fields


def test_a_webhook_naming_an_unknown_source_is_reported_at_its_field(tmp_path: Path) -> None:
    journey = (SHIPPED_DEFINITIONS / "midtrans-payment.journey.yaml").read_text()
    (tmp_path / "midtrans-payment.journey.yaml").write_text(journey)
    with pytest.raises(DefinitionErrors) as failure:
        load_catalog([tmp_path])
    [error] = failure.value.errors
    assert error.state == "waitForNotification" and error.field == "spec.states.waitForNotification.webhook.source"
    assert "no inbound source named 'midtrans'" in error.message


def test_source_and_correlation_key_go_together(tmp_path: Path) -> None:
    journey = (SHIPPED_DEFINITIONS / "midtrans-payment.journey.yaml").read_text()
    broken = journey.replace('        correlationKey: "${context.orderId}"\n', "")
    path = tmp_path / "midtrans-payment.journey.yaml"
    path.write_text(broken)
    (tmp_path / "midtrans.source.yaml").write_text((SHIPPED_DEFINITIONS / "midtrans.source.yaml").read_text())
    with pytest.raises(DefinitionErrors) as failure:
        load_catalog([tmp_path])
    assert any(
        e.field.endswith("webhook.correlationKey") and "required with 'source'" in e.message
        for e in failure.value.errors
    )


def test_two_sources_cannot_share_a_name(tmp_path: Path) -> None:
    write(tmp_path, VALID)
    write(tmp_path, VALID, "again.source.yaml")
    with pytest.raises(DefinitionErrors) as failure:
        load_catalog([tmp_path])
    assert any("duplicate source name 'acme'" in e.message for e in failure.value.errors)
