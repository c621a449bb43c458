"""The shipped digiflazz-topup journey fed by Digiflazz callbacks signed with X-Hub-Signature (HMAC-SHA1)."""

from __future__ import annotations

from tests.inbound.delivery_helpers import (
    digiflazz_callback,
    history,
    log_page,
    outcome,
    send_digiflazz,
    start,
    status_of,
)
from tests.support import LiveServer


async def start_topup(server: LiveServer, ref_id: str) -> str:
    return await start(server, "digiflazz-topup", {"refId": ref_id, "sku": "xld10", "customerNo": "081234567890"})


async def test_pending_then_success_delivers_the_serial_number(server: LiveServer) -> None:
    """`Pending` keeps the top-up open; `Sukses` ends it with the voucher serial number the customer needs."""
    journey_id = await start_topup(server, "ref-ok")
    pending = await send_digiflazz(server, digiflazz_callback("ref-ok", "Pending"))
    assert (pending.status, pending.verdict) == (200, "applied")
    current = await status_of(server, journey_id)
    assert (current["phase"], current["currentState"]) == ("Running", "waitForCallback")

    done = await send_digiflazz(server, digiflazz_callback("ref-ok", "Sukses", sn="0812-SN-778899"))
    assert (done.status, done.verdict) == (200, "applied")
    result = await outcome(server, journey_id)
    assert result["phase"] == "Succeeded"
    assert result["output"]["serialNumber"] == "0812-SN-778899"
    assert result["output"]["refId"] == "ref-ok"
    assert [i["event"] for i in await history(server, journey_id)] == ["start", "step", "step"]


async def test_failure_callback_fails_the_topup(server: LiveServer) -> None:
    """`Gagal` means Digiflazz could not deliver: the top-up fails with TOPUP_FAILED."""
    journey_id = await start_topup(server, "ref-fail")
    reply = await send_digiflazz(server, digiflazz_callback("ref-fail", "Gagal", message="Nomor tujuan salah"))
    assert (reply.status, reply.verdict) == (200, "applied")
    result = await outcome(server, journey_id)
    assert result["phase"] == "Failed"
    assert result["error"]["code"] == "TOPUP_FAILED"


async def test_wrongly_signed_callback_is_401_and_changes_nothing(server: LiveServer) -> None:
    """A callback not signed with our Digiflazz secret is refused; the top-up is not marked delivered."""
    journey_id = await start_topup(server, "ref-forged")
    forged = digiflazz_callback("ref-forged", "Sukses", sn="FAKE")
    reply = await send_digiflazz(server, forged, secret="not-the-digiflazz-secret")
    assert reply.status == 401
    assert reply.json()["cause"] == "invalid-signature"
    current = await status_of(server, journey_id)
    assert (current["phase"], current["currentState"]) == ("Running", "waitForCallback")
    assert [i["event"] for i in await history(server, journey_id)] == ["start"]
    # docs/inbound.md: every answer carries the verdict and the log id, so an operator can find the rejection
    assert reply.verdict == "rejected:invalid-signature"
    logged = await log_page(server, "source=digiflazz")
    assert [(i["deliveryId"], i["verdict"], i["status"]) for i in logged["items"]] == [
        (reply.delivery_id, "rejected:invalid-signature", 401)
    ]
