"""`flask sandbox` points the demo's payments at the sandbox card gateway (connect_gateway):
a merchant in 決済設定 with its key encrypted, saved test cards for the card customers, the
demo's standing authorizations known to the gateway; then the scheduler's payment steps
authorize the own-shop card orders waiting in 確認待ち, and an earlier authorization can be
captured. A second start changes nothing; a gateway already set is left alone."""

import pytest
import sqlalchemy as sa

from oms import crypto
from oms.models import CustomerCard, MallKind, Order, OrderStatus, PaymentKind, PaymentStatus
from oms.sandbox.connect import DEMO_CARD_CYCLE, DEMO_CARDS, GOOD_CARD, connect_gateway
from oms.services.actor import Actor
from oms.services.payments import automatic, settings
from tests.payments.test_card_jobs import effects, reload
from tests.payments.test_payment_maintenance import maintain_on_worker

S, P = OrderStatus, PaymentStatus


def demo_order(factory, customer, **kw) -> Order:
    return factory.order(**({"status": S.pending_review, "payment_status": P.unpaid,
                             "customer": customer, "total": 5500} | kw))


def expected(customer_id: int) -> tuple[str, str]:
    """The demo card (token, last four digits) a customer gets."""
    return DEMO_CARDS.get(customer_id % DEMO_CARD_CYCLE, GOOD_CARD)


def cards(session) -> list[tuple]:
    return session.execute(sa.select(CustomerCard.customer_id, CustomerCard.gateway_token,
                                     CustomerCard.last4, CustomerCard.is_default)
                           .order_by(CustomerCard.id)).all()


@pytest.mark.slow
def test_the_demo_pays_at_the_sandbox_gateway(session, factory, sandbox, app, run_worker):
    secret = app.config["SECRET_KEY"]
    buyers = [factory.customer() for _ in range(DEMO_CARD_CYCLE + 1)]
    waiting = [demo_order(factory, buyer) for buyer in buyers]
    # Authorized earlier; the card this customer is now given would be declined.
    declining = next(b for b in buyers if expected(b.id)[0] == "tok_decline")
    repeat = demo_order(factory, declining, status=S.shipped, payment_status=P.authorized,
                        transaction_id="txn_demo_earlier", authorized_amount=5500)
    saved = factory.customer()
    factory.card(saved, gateway_token="tok_saved_by_the_shop")
    with_saved = demo_order(factory, saved)
    cod = demo_order(factory, factory.customer(),
                     payment_method=factory.payment_method(PaymentKind.cod))
    mall = demo_order(factory, factory.customer(), shop=factory.shop(MallKind.yahoo))
    session.commit()

    given = connect_gateway(session, sandbox, secret)
    session.commit()
    assert given == len(buyers)
    config = settings.read(session)
    assert (config.endpoint, config.rakuten_card_endpoint) == (
        sandbox.endpoint("gateway"), sandbox.endpoint("rakuten_card"))
    api_key = crypto.decrypt(secret, config.api_key)
    assert api_key.startswith("sk_demo_") and api_key not in config.api_key
    assert crypto.decrypt(secret, config.rakuten_card_api_key) == api_key

    # One default card per card customer (none for COD or a mall's buyers), a declined
    # one and one for the fraud review among them; each of their orders uses it.
    assert cards(session) == [(saved.id, "tok_saved_by_the_shop", "1111", False)] + [
        (b.id, *expected(b.id), True) for b in buyers]
    tokens = dict(session.execute(
        sa.select(Order.id, CustomerCard.gateway_token)
        .join(CustomerCard, CustomerCard.id == Order.customer_card_id)).all())
    assert tokens == {**{o.id: expected(o.customer_id)[0] for o in (*waiting, repeat)},
                      with_saved.id: "tok_saved_by_the_shop"}
    assert {expected(b.id)[0] for b in buyers} == {
        "tok_ok", "tok_decline", "tok_fraud_review"}
    earlier = sandbox.gateway_transaction(api_key, "txn_demo_earlier")
    assert (earlier["status"], earlier["authorized_amount"], earlier["order_ref"]) == (
        "authorized", 5500, repeat.order_number)

    # A second start finds the gateway set: nothing changes.
    before = (settings.read(session), cards(session), tokens)
    assert connect_gateway(session, sandbox, secret) is None
    session.commit()
    assert (settings.read(session), cards(session)) == before[:2]

    # The scheduler's payment steps authorize the waiting orders at the sandbox; the
    # earlier authorization is captured as 出荷済 does.
    assert automatic.capture_shipped(session, [repeat.id]) is not None
    session.commit()
    maintain_on_worker(session, run_worker)
    outcome = {}
    for order in (*waiting, with_saved):
        order = reload(session, order)
        outcome[order.id] = (order.status, order.payment_status)
    for order in waiting:
        token = expected(order.customer_id)[0]
        assert outcome[order.id] == {
            "tok_ok": (S.new, P.authorized), "tok_decline": (S.pending_review, P.auth_failed),
            "tok_fraud_review": (S.pending_review, P.authorized)}[token], token
    assert outcome[with_saved.id] == (S.new, P.authorized)
    assert {o.payment_status for o in (reload(session, cod), reload(session, mall))} == {
        P.unpaid}
    repeat = reload(session, repeat)
    assert (repeat.status, repeat.payment_status, repeat.captured_amount) == (
        S.completed, P.captured, 5500)
    assert len(effects(sandbox, api_key)) == len(waiting) + 2


def test_a_gateway_already_set_is_left_alone(session, factory, sandbox, app):
    secret = app.config["SECRET_KEY"]
    elsewhere = settings.with_keys(settings.PaymentSettings(endpoint="https://pay.example.jp"),
                                   secret, api_key="sk_live_real")
    settings.save(session, elsewhere, Actor(None, "admin"))
    demo_order(factory, factory.customer())
    session.commit()
    assert connect_gateway(session, sandbox, secret) is None
    session.commit()
    assert settings.read(session).endpoint == "https://pay.example.jp"
    assert settings.read(session).rakuten_card_endpoint == ""
    assert cards(session) == []
