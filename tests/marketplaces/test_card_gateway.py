"""The card gateway adapter against the sandbox gateway (the real server over HTTP): each
test card's answer, the amount and state rules, Stripe-like idempotency keys (replay, 422,
one effect per key whatever the retries), faults, and 楽天カード決済API's late answers."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from oms.integrations.payments import ChargeState, GatewayError, KeyMismatch
from oms.integrations.payments.card import HttpCardGateway, connect

OK, FAILED, PENDING = ChargeState.succeeded, ChargeState.failed, ChargeState.pending


@pytest.fixture
def merchant(sandbox):
    """A merchant account of this test's own, answering at once."""
    api_key = f"sk_test_{uuid.uuid4().hex[:16]}"
    sandbox.gateway(api_key, latency_ms=0, timeout_seconds=2, async_seconds=1)
    return api_key


@pytest.fixture
def gateway_for(sandbox, merchant):
    """gateway_for(mode="gateway", **http) -> the adapter, with quick retries (the backoff
    itself is not under test) and a timeout well under the sandbox's lost-answer hold."""
    opened = []

    def open_(mode: str = "gateway", **http) -> HttpCardGateway:
        gateway = HttpCardGateway(sandbox.endpoint(mode), merchant,
                                  **{"timeout": 0.5, "retries": 3, "backoff": 0.01, **http})
        opened.append(gateway)
        return gateway

    yield open_
    for gateway in opened:
        gateway.close()


def key() -> str:
    return f"order:{uuid.uuid4().hex[:8]}:authorize:1"


def test_each_test_card_answers_as_documented(gateway_for):
    gateway = gateway_for()
    ok = gateway.authorize(key(), token="tok_ok", amount=8800, order_ref="1000000001")
    assert (ok.state, ok.amount, ok.fraud, ok.fraud_reasons) == (OK, 8800, "OK", ())
    assert ok.transaction_id.startswith("txn_")
    assert timedelta(days=6.9) < ok.expires_at - datetime.now(UTC) <= timedelta(days=7)

    declined = gateway.authorize(key(), token="tok_decline", amount=8800, order_ref="2")
    assert (declined.state, declined.code, declined.amount) == (FAILED, "card_declined", 0)
    assert declined.message == "カードが承認されませんでした。"
    assert declined.transaction_id  # a declined authorization is a transaction too
    short = gateway.authorize(key(), token="tok_insufficient", amount=8800, order_ref="3")
    assert (short.state, short.code) == (FAILED, "insufficient_funds")
    assert "残高不足" in short.message
    bad = gateway.authorize(key(), token="4111111111111111", amount=8800, order_ref="4")
    assert (bad.state, bad.code) == (FAILED, "invalid_token")

    # The card company says yes; the fraud screening gives its verdict and reasons.
    for token, verdict in (("tok_fraud_review", "REVIEW"), ("tok_fraud_hold", "HOLD"),
                           ("tok_fraud_ng", "NG")):
        screened = gateway.authorize(key(), token=token, amount=8800, order_ref="5")
        assert (screened.state, screened.fraud) == (OK, verdict)
        assert len(screened.fraud_reasons) == 2 and all(screened.fraud_reasons)


def test_capture_void_and_refund_keep_to_the_amounts_and_states(gateway_for, sandbox,
                                                                 merchant):
    gateway = gateway_for()
    tx = gateway.authorize(key(), token="tok_ok", amount=8800, order_ref="1").transaction_id

    too_much = gateway.capture("c1", transaction_id=tx, amount=9900)
    assert (too_much.state, too_much.code) == (FAILED, "amount_too_large")
    assert gateway.capture("c2", transaction_id=tx, amount=8800).state == OK
    again = gateway.capture("c3", transaction_id=tx, amount=8800)
    assert (again.state, again.code) == (FAILED, "already_captured")
    captured_void = gateway.void("v1", transaction_id=tx)
    assert (captured_void.state, captured_void.code) == (FAILED, "already_captured")
    assert "返金" in captured_void.message

    assert gateway.refund("r1", transaction_id=tx, amount=5000).state == OK
    over = gateway.refund("r2", transaction_id=tx, amount=3801)
    assert (over.state, over.code) == (FAILED, "amount_too_large")
    last = gateway.refund("r3", transaction_id=tx, amount=3800)
    assert (last.state, last.amount) == (OK, 3800)
    record = sandbox.gateway_transaction(merchant, tx)
    assert (record["status"], record["captured_amount"], record["refunded_amount"]) == (
        "refunded", 8800, 8800)
    assert [s["operation"] for s in record["history"]] == [
        "authorize", "capture", "refund", "refund"]

    other = gateway.authorize(key(), token="tok_ok", amount=3000, order_ref="2").transaction_id
    early = gateway.refund("r4", transaction_id=other, amount=100)
    assert (early.state, early.code) == (FAILED, "not_captured")
    assert gateway.void("v2", transaction_id=other).state == OK
    after_void = gateway.capture("c4", transaction_id=other, amount=3000)
    assert (after_void.state, after_void.code) == (FAILED, "already_voided")
    unknown = gateway.capture("c5", transaction_id="txn_nope", amount=1)
    assert (unknown.state, unknown.code) == (FAILED, "not_found")


def test_reauthorize_voids_the_old_authorization_only_once_the_new_one_succeeds(
        gateway_for, sandbox, merchant):
    gateway = gateway_for()
    old = gateway.authorize(key(), token="tok_ok", amount=8800, order_ref="1").transaction_id
    declined = gateway.reauthorize("ra1", transaction_id=old, token="tok_decline", amount=9900)
    assert (declined.state, declined.code) == (FAILED, "card_declined")
    assert sandbox.gateway_transaction(merchant, old)["status"] == "authorized"

    new = gateway.reauthorize("ra2", transaction_id=old, token="tok_ok", amount=9900)
    assert (new.state, new.amount) == (OK, 9900) and new.transaction_id != old
    assert sandbox.gateway_transaction(merchant, old)["status"] == "voided"
    assert gateway.capture("c1", transaction_id=new.transaction_id, amount=9900).state == OK
    refused = gateway.reauthorize("ra3", transaction_id=new.transaction_id, token="tok_ok",
                                  amount=9900)
    assert (refused.state, refused.code) == (FAILED, "already_captured")


def test_an_authorization_lapses_after_its_valid_days(gateway_for, sandbox, merchant):
    sandbox.gateway(merchant, auth_valid_days=0.2 / 86400)
    gateway = gateway_for()
    tx = gateway.authorize(key(), token="tok_ok", amount=500, order_ref="1").transaction_id
    time.sleep(0.3)
    lapsed = gateway.capture("c1", transaction_id=tx, amount=500)
    assert (lapsed.state, lapsed.code) == (FAILED, "authorization_expired")
    assert gateway.reauthorize("ra1", transaction_id=tx, token="tok_ok", amount=500
                               ).state == OK


def test_a_key_replays_its_first_answer_and_refuses_other_parameters(sandbox, merchant,
                                                                     gateway_for):
    http = httpx.Client(base_url=sandbox.endpoint("gateway"),
                        headers={"Authorization": f"Bearer {merchant}"})
    body = {"token": "tok_ok", "amount": 8800, "order_ref": "1000000001"}
    first = http.post("/authorize", json=body, headers={"Idempotency-Key": "k1"})
    second = http.post("/authorize", json=body, headers={"Idempotency-Key": "k1"})
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second.headers["Idempotent-Replayed"] == "true"
    # A refusal is an answer too: replayed, not run again.
    declined = {**body, "token": "tok_decline"}
    assert [http.post("/authorize", json=declined, headers={"Idempotency-Key": "k2"}
                      ).status_code for _ in range(2)] == [402, 402]

    other = http.post("/authorize", json={**body, "amount": 9900},
                      headers={"Idempotency-Key": "k1"})
    assert other.status_code == 422
    assert http.post("/capture", json={"transaction_id": first.json()["id"], "amount": 1},
                     headers={"Idempotency-Key": "k1"}).status_code == 422
    with pytest.raises(KeyMismatch):
        gateway_for().authorize("k1", token="tok_ok", amount=100, order_ref="1000000001")
    missing = http.post("/authorize", json=body)
    assert missing.status_code == 400 and "Idempotency-Key" in missing.json()["error"]["message"]

    effects = sandbox.gateway_effects(merchant)
    assert effects["totals"] == {"authorize": 2}
    assert effects["keys"]["k1"] == {"operation": "authorize", "effects": 1, "requests": 2,
                                     "status": 200}
    assert effects["keys"]["k2"]["requests"] == 2
    http.close()


def test_one_capture_for_many_concurrent_calls_under_one_key(sandbox, merchant, gateway_for):
    tx = gateway_for().authorize(key(), token="tok_ok", amount=8800, order_ref="1")
    http = httpx.Client(base_url=sandbox.endpoint("gateway"),
                        headers={"Authorization": f"Bearer {merchant}",
                                 "Idempotency-Key": "bulk:1:42:capture"})
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: http.post("/capture", json={
            "transaction_id": tx.transaction_id, "amount": 8800}), range(40)))
    assert {(a.status_code, a.content) for a in answers} == {(200, answers[0].content)}
    effects = sandbox.gateway_effects(merchant)
    assert effects["totals"] == {"authorize": 1, "capture": 1}
    assert effects["keys"]["bulk:1:42:capture"]["requests"] == 40
    http.close()


def test_a_lost_answer_is_retried_with_the_same_key_and_charges_once(gateway_for, sandbox,
                                                                      merchant):
    gateway = gateway_for()
    lost = gateway.authorize("order:7:authorize:1", token="tok_timeout_after_commit",
                             amount=8800, order_ref="7")
    assert (lost.state, lost.amount) == (OK, 8800)
    sandbox.gateway_faults(merchant, "timeout_after_commit")
    captured = gateway.capture("order:7:capture:1", transaction_id=lost.transaction_id,
                               amount=8800)
    assert captured.state == OK
    effects = sandbox.gateway_effects(merchant)
    assert effects["totals"] == {"authorize": 1, "capture": 1}
    for name in ("order:7:authorize:1", "order:7:capture:1"):
        assert (effects["keys"][name]["effects"], effects["keys"][name]["requests"]) == (1, 2)


def test_server_errors_are_retried_and_a_gateway_out_of_reach_is_an_error(gateway_for,
                                                                         sandbox, merchant):
    gateway = gateway_for()
    sandbox.gateway_faults(merchant, "500", "503")
    charge = gateway.authorize("a1", token="tok_ok", amount=100, order_ref="1")
    assert charge.state == OK

    sandbox.gateway_faults(merchant, "503", "500", "503", "500")
    with pytest.raises(GatewayError, match="after 4 attempts"):
        gateway.capture("c1", transaction_id=charge.transaction_id, amount=100)
    assert sandbox.gateway_effects(merchant)["totals"] == {"authorize": 1}
    # The job's retry later, with the same key, goes through once.
    assert gateway.capture("c1", transaction_id=charge.transaction_id, amount=100).state == OK

    with pytest.raises(GatewayError, match="HTTP 401"):
        connect(sandbox.endpoint("gateway"), "").authorize("a2", token="tok_ok", amount=1,
                                                           order_ref="1")
    with pytest.raises(GatewayError, match="could not reach the card gateway"):
        HttpCardGateway("http://127.0.0.1:9/gateway", "k", retries=1, backoff=0.01
                        ).get("txn_1")


def test_rakuten_card_answers_pending_then_completes_after_async_seconds(gateway_for, sandbox,
                                                                         merchant):
    gateway = gateway_for("rakuten_card")
    asked = time.monotonic()
    auth = gateway.authorize(key(), token="tok_ok", amount=8800, order_ref="1")
    declined = gateway.authorize(key(), token="tok_decline", amount=8800, order_ref="2")
    assert (auth.state, declined.state) == (PENDING, PENDING)
    early = gateway.capture("c0", transaction_id=auth.transaction_id, amount=8800)
    assert (early.state, early.code) == (FAILED, "pending")
    assert gateway.get(auth.transaction_id).state == PENDING

    done = _poll(gateway, auth.transaction_id)
    assert time.monotonic() - asked >= 1
    assert (done.state, done.amount, done.fraud) == (OK, 8800, "OK") and done.expires_at
    no = _poll(gateway, declined.transaction_id)  # asked a moment later: done later
    assert (no.state, no.code) == (FAILED, "card_declined")

    sandbox.gateway(merchant, async_seconds=0.3)  # the capture's wait: shorter, same rule
    # "Still pending" was no answer to keep: the same key goes through now.
    capture = gateway.capture("c0", transaction_id=auth.transaction_id, amount=8800)
    assert capture.state == PENDING
    assert _poll(gateway, auth.transaction_id).amount == 8800
    assert gateway_for().get(auth.transaction_id).code == "not_found"  # another mode
    assert gateway.get("txn/../1").code == "not_found"


def _poll(gateway: HttpCardGateway, transaction_id: str, timeout: float = 5):
    deadline = time.monotonic() + timeout
    while (charge := gateway.get(transaction_id)).state == PENDING:
        assert time.monotonic() < deadline, "still pending"
        time.sleep(0.1)
    return charge
