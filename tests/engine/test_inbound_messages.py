"""Reading delivery bodies as gateways send them, and redacting what the inbound log must not keep."""

from __future__ import annotations

import pytest

from journeys.engine import InboundMessage, InvalidBody
from journeys.engine.inbound_messages import REDACTED, dedupe_key, parse_body, redact


@pytest.mark.parametrize(
    ("media_type", "raw", "expected"),
    [
        ("application/json", b'{"a": [1, 2]}', {"a": [1, 2]}),
        ("", b'{"a": 1}', {"a": 1}),  # no content type: JSON, as the API always took
        ("application/vnd.gateway+json", b"[1]", [1]),
        (
            "application/x-www-form-urlencoded",
            b"txn_id=61E6&payment_status=Completed&item=a&item=b&memo=",
            {"txn_id": "61E6", "payment_status": "Completed", "item": ["a", "b"], "memo": ""},
        ),
        ("application/x-www-form-urlencoded", b"name=J%C3%BCrgen+M", {"name": "Jürgen M"}),
        ("text/plain", "status=ok ✓".encode(), "status=ok ✓"),
    ],
)
def test_bodies_are_read_as_their_type_says(media_type: str, raw: bytes, expected: object) -> None:
    assert parse_body(InboundMessage(raw, media_type=media_type)) == expected


@pytest.mark.parametrize(
    ("media_type", "raw", "message"),
    [
        ("application/json", b'{"a": ', "not valid JSON"),
        ("application/json", b"", "empty"),
        ("text/plain", b"\xff\xfe", "not UTF-8"),
        ("application/x-www-form-urlencoded", b"\xff=1", "cannot be read"),
    ],
)
def test_an_unreadable_body_says_why(media_type: str, raw: bytes, message: str) -> None:
    with pytest.raises(InvalidBody) as failure:
        parse_body(InboundMessage(raw, media_type=media_type))
    assert message in failure.value.detail


def test_redaction_replaces_paths_and_leaves_the_payload_alone() -> None:
    payload = {"signature_key": "abc", "card": {"number": "4111", "brand": "visa"}, "order_id": "o-1"}
    stored = redact(payload, ("signature_key", "card.number", "absent.path", "order_id.not_an_object"))
    assert stored == {"signature_key": REDACTED, "card": {"number": REDACTED, "brand": "visa"}, "order_id": "o-1"}
    assert payload["signature_key"] == "abc" and payload["card"]["number"] == "4111"


def test_dedupe_keys_are_fixed_width_and_scoped() -> None:
    assert dedupe_key("source:stripe", "evt_1") != dedupe_key("source:midtrans", "evt_1")
    assert len(dedupe_key("s", "x" * 10_000)) == 64
