"""後払い round trips (SCOPE P4 checks 9, 10, 12; G7–G9, G11, G12) at the service level:
the export job run in-process, the sandbox's NP / GMO admin answering the file, the result
imported; 一括再与信 and 一括再出荷報告 as bulk jobs."""

import csv
import io
from collections import defaultdict
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from oms.csvfiles import UploadError
from oms.models import (
    DeferredFile,
    DeferredImport,
    Gateway,
    JobState,
    Notification,
    Order,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    PaymentTransaction,
    ShipReportState,
    TargetState,
    TransactionKind,
    TransactionState,
)
from oms.services import deferred_export, deferred_import, runner
from oms.services.actor import Actor
from oms.services.deferred_export import Choice
from tests import bulk_support as bulk
from tests.marketplaces.conftest import sandbox  # noqa: F401 (the fixture)

S, P = OrderStatus, PaymentStatus
ACTOR = Actor(None, "operator", None)
BUYER = {"buyer_postcode": "1000001", "buyer_prefecture": "東京都",
         "buyer_address1": "千代田区千代田1-1", "ship_postcode": "1000001",
         "ship_prefecture": "東京都", "ship_address1": "千代田区千代田1-1",
         "ship_phone": "03-1234-5678"}


@pytest.fixture(autouse=True)
def ja(session):
    with force_locale("ja"):
        yield


@pytest.fixture
def methods(factory):
    return {"np": factory.payment_method(PaymentKind.deferred_np, name="NP後払い"),
            "gmo": factory.payment_method(PaymentKind.deferred_gmo, name="GMO後払い")}


@pytest.fixture
def deferred_order(factory, methods):
    def make(name: str = "山田 太郎", method: str = "np", **kw) -> Order:
        values = {"status": S.pending_review, "payment_status": P.unpaid,
                  "payment_method": methods[method], "buyer_name": name, **BUYER,
                  "subtotal": 1000, "discount": 200, "shipping_fee": 550, "payment_fee": 209,
                  "tax_10": 80, "total": 1000 - 200 + 550 + 209 + 80}
        return factory.order(**{**values, **kw})

    return make


def export(session, orders, gateway=Gateway.np, file=DeferredFile.credit
           ) -> tuple[Notification, bytes]:
    """出力 over these orders, the job run in-process: (its notification, the file)."""
    choice = Choice(gateway, file)
    note = deferred_export.start(session, None, choice, [Order.id.in_([o.id for o in orders])],
                                 len(orders), None, "ja")
    session.commit()
    runner.run_lane(session, note.id, lease=timedelta(minutes=2))
    session.expire_all()
    note = session.get(Notification, note.id)
    assert note.state is JobState.succeeded, note.error
    with open(note.result_path, "rb") as handle:
        return note, handle.read()


def table(data: bytes) -> list[dict[str, str]]:
    text = data.decode("cp932")
    assert "\n" not in text.replace("\r\n", "")
    return list(csv.DictReader(io.StringIO(text)))


def import_result(session, data: bytes, gateway=Gateway.np, file=DeferredFile.credit):
    upload = deferred_import.check(session, None, "result.csv", data, gateway, file)
    deferred_import.apply(session, upload, ACTOR, None, "ja")
    session.commit()
    session.expire_all()
    return upload


def reload(session, order) -> Order:
    return session.get(Order, order.id)


def ledger(session, order) -> list[tuple[TransactionKind, TransactionState, str | None]]:
    return [(t.kind, t.state, t.result_code) for t in session.scalars(
        sa.select(PaymentTransaction).where(PaymentTransaction.order_id == order.id)
        .order_by(PaymentTransaction.id))]


def test_np_register_then_credit_result(session, sandbox, deferred_order, factory):  # noqa: F811
    """Check 9, and a refusal per rule of G7."""
    a, b, c = deferred_order(), deferred_order("保留 花子"), deferred_order("与信NG 次郎")
    off = deferred_order(total=9999)  # lines do not add up to the billed amount
    odd = deferred_order("𠮷田 花子")  # not in Shift_JIS: refused, never a substitute
    card = factory.order(status=S.pending_review, payment_status=P.unpaid, **BUYER)
    session.commit()

    chosen = [Order.id.in_([o.id for o in (a, b, c, off, odd, card)])]
    shown = deferred_export.preview(session, chosen, Choice(Gateway.np, DeferredFile.credit))
    assert shown.to_export == 3
    assert [number for number, _ in shown.refused["amount"]] == [off.order_number]
    assert shown.refused["method"][0][0] == card.order_number
    assert shown.refused["characters"] == [
        (odd.order_number, "Shift_JISで出力できない文字：𠮷")]

    note, data = export(session, [a, b, c, off, odd, card])
    rows = table(data)
    by_order = defaultdict(list)
    for row in rows:
        by_order[row["shop_transaction_id"]].append(row)
    assert set(by_order) == {a.order_number, b.order_number, c.order_number}
    for lines in by_order.values():  # the goods lines add up to billed_amount
        billed = {int(line["billed_amount"]) for line in lines}
        assert billed == {a.total}
        assert sum(int(li["goods_price"]) * int(li["quantity"]) for li in lines) == a.total
    names = [line["goods_name"] for line in by_order[a.order_number]]
    assert names == ["りんごジュース", "消費税10%", "値引き", "送料", "決済手数料"]
    assert by_order[a.order_number][2]["goods_price"] == "-200"
    assert by_order[a.order_number][0]["zip_code"] == "100-0001"
    for order in (a, b, c):
        assert reload(session, order).payment_status is P.deferred_registered
        assert ledger(session, order) == [
            (TransactionKind.deferred_register, TransactionState.pending, None)]
    assert reload(session, off).payment_status is P.unpaid
    assert note.done == 6 and note.failed == 3

    result = sandbox.deferred_file("np", "transactions", data)
    upload = import_result(session, result)
    a, b, c = (reload(session, o) for o in (a, b, c))
    assert (a.payment_status, a.status, a.deferred_result.value) == (P.deferred_approved,
                                                                     S.new, "ok")
    assert len(a.deferred_ref) == 11
    assert (b.payment_status, b.status, b.needs_attention) == (P.deferred_hold,
                                                               S.pending_review, True)
    assert (b.attention_reason.name, b.deferred_reason) == ("与信保留", "RE009")
    assert (c.payment_status, c.deferred_reason, c.needs_attention) == (P.auth_failed,
                                                                       "NG999", True)
    assert c.attention_reason.name == "与信NG"
    assert ledger(session, a) == [
        (TransactionKind.deferred_register, TransactionState.succeeded, "00"),
        (TransactionKind.deferred_result, TransactionState.succeeded, "00")]
    assert ledger(session, c)[0] == (TransactionKind.deferred_register,
                                     TransactionState.failed, "20")

    # The same file again changes nothing: every row is 取り込み済み.
    with pytest.raises(UploadError, match="取り込み済み"):
        deferred_import.check(session, None, "result.csv", result, Gateway.np,
                              DeferredFile.credit)
    with pytest.raises(UploadError):
        deferred_import.apply(session, session.get(DeferredImport, upload.id), ACTOR, None, "ja")


def test_an_approval_after_a_hold_settles_it(session, sandbox, deferred_order):  # noqa: F811
    b = deferred_order("保留 花子")
    _note, data = export(session, [b])
    import_result(session, sandbox.deferred_file("np", "transactions", data))
    assert reload(session, b).needs_attention
    import_result(session, (
        "shop_transaction_id,np_transaction_id,authori_result,authori_ng,authori_hold\r\n"
        f"{b.order_number},19000000099,00,,\r\n").encode())
    b = reload(session, b)
    assert (b.payment_status, b.needs_attention, b.status) == (P.deferred_approved, False,
                                                               S.new)
    assert b.deferred_ref == "19000000099" and b.deferred_reason is None


def test_credit_result_rows_that_cannot_apply(session, deferred_order):
    a = deferred_order()
    export(session, [a])
    data = ("shop_transaction_id,np_transaction_id,authori_result,authori_ng,authori_hold\r\n"
            f"{a.order_number},19000000009,99,,\r\n"
            "0000000000,19000000010,00,,\r\n"
            f"{a.order_number},,40,,\r\n").encode()
    upload = deferred_import.check(session, None, "r.csv", data, Gateway.np,
                                   DeferredFile.credit)
    assert [(e[0], e[2]) for e in upload.errors] == [(2, "error"), (3, "unknown")]
    assert "00 / 10 / 20 / 40" in upload.errors[0][1]
    assert [r[3] for r in upload.rows] == ["40"]  # 審査中: stays 与信待ち
    deferred_import.apply(session, upload, ACTOR, None, "ja")
    assert reload(session, a).payment_status is P.deferred_registered
    assert reload(session, a).deferred_result.value == "review"
    with pytest.raises(UploadError, match="ヘッダー行にshop_transaction_id, "):
        deferred_import.check(session, None, "r.csv", b"a,b\r\n1,2\r\n", Gateway.np,
                              DeferredFile.credit)


def test_bulk_reauthorization(session, sandbox, deferred_order, users):  # noqa: F811
    """Check 10: C (NP, NG999) and E (GMO, NG) queued and flagged in the next export;
    D (NP, NG001) refused with seed 004's sentence."""
    c, d = deferred_order("与信NG 三郎"), deferred_order("NG001 四郎")
    e = deferred_order("与信NG 五郎", method="gmo")
    _note, data = export(session, [c, d])
    import_result(session, sandbox.deferred_file("np", "transactions", data))
    _note, data = export(session, [e], Gateway.gmo)
    assert table(data)[0]["fullName"] == "与信NG 五郎"
    import_result(session, sandbox.deferred_file("gmo", "transactions", data), Gateway.gmo)
    assert [reload(session, o).deferred_reason for o in (c, d, e)] == ["NG999", "NG001", "NG999"]

    job = bulk.start(session, users["operator"], [c, d, e], "deferred_reauthorize", locale="ja")
    outcomes = bulk.outcomes(session, bulk.run(session, job.id).id)
    assert outcomes[c.id][0] is outcomes[e.id][0] is TargetState.ok
    assert outcomes[d.id] == (TargetState.failed, "NPの再与信はNG999の注文のみ対象です")
    c = reload(session, c)
    assert (c.payment_status, c.needs_attention) == (P.unpaid, False)

    shown = deferred_export.preview(session, [Order.id.in_([c.id, d.id])],
                                    Choice(Gateway.np, DeferredFile.credit))
    assert shown.to_export == 1 and shown.again == [c.order_number]
    _note, data = export(session, [c])
    import_result(session, sandbox.deferred_file("np", "transactions", data))
    assert reload(session, c).payment_status is P.auth_failed  # the marker says NG again
    assert [k for k, _s, _c in ledger(session, c)].count(TransactionKind.deferred_register) == 2


def test_ship_report_round_trip(session, sandbox, deferred_order, factory, users):  # noqa: F811
    """Check 12: G (tracking and 発送完了日) exported, H (no tracking) refused with seed 002's
    sentence; G's report NG → 出荷報告NG; 一括再出荷報告 → pending and in the next export;
    OK → 後払入金待."""
    g, h = deferred_order("出荷NG 七子"), deferred_order()
    _note, data = export(session, [g, h])
    import_result(session, sandbox.deferred_file("np", "transactions", data))
    for order in (g, h):
        order = reload(session, order)
        order.status = S.shipped
    factory.shipment(reload(session, g), "1234-5678-9012")
    factory.shipment(reload(session, h), None)
    session.commit()

    _note, data = export(session, [g, h], file=DeferredFile.ship)
    rows = table(data)
    assert rows == [{"np_transaction_id": reload(session, g).deferred_ref,
                     "pd_company_code": "59010", "slip_no": "123456789012"}]
    refused = deferred_export.preview(session, [Order.id == h.id],
                                      Choice(Gateway.np, DeferredFile.ship)).refused
    assert refused["slip"][0][1] == ("後払いで実売上を立てる場合は、配送伝票番号と発送完了日の"
                                    "登録が必要です。")
    assert reload(session, g).ship_report_state is ShipReportState.pending
    # Exported and waiting for the result: not in the next file.
    assert deferred_export.preview(session, [Order.id == g.id],
                                   Choice(Gateway.np, DeferredFile.ship)).to_export == 0

    import_result(session, sandbox.deferred_file("np", "shipments", data), file=DeferredFile.ship)
    g = reload(session, g)
    assert (g.ship_report_state, g.ship_report_error, g.status) == (
        ShipReportState.ng, "伝票番号が確認できません", S.shipped)

    job = bulk.start(session, users["operator"], [g], "ship_report_again", locale="ja")
    assert bulk.outcomes(session, bulk.run(session, job.id).id)[g.id][0] is TargetState.ok
    assert reload(session, g).ship_report_state is ShipReportState.pending
    _note, data = export(session, [g], file=DeferredFile.ship)
    assert len(table(data)) == 1
    import_result(session, sandbox.deferred_file("np", "shipments", data), file=DeferredFile.ship)
    g = reload(session, g)
    assert (g.ship_report_state, g.status) == (ShipReportState.ok, S.awaiting_deferred_payment)


def test_a_large_file_is_applied_by_a_job(session, sandbox, deferred_order, monkeypatch):  # noqa: F811
    """More rows than a request applies: a job, JOB_CHUNK rows a commit; run twice, it
    applies each row once."""
    monkeypatch.setattr(deferred_import, "DIRECT_ROWS", 1)
    monkeypatch.setattr(deferred_import, "JOB_CHUNK", 1)
    orders = [deferred_order(), deferred_order()]
    _note, data = export(session, orders)
    upload = deferred_import.check(session, None, "r.csv",
                                   sandbox.deferred_file("np", "transactions", data),
                                   Gateway.np, DeferredFile.credit)
    note = deferred_import.apply(session, upload, ACTOR, None, "ja")
    session.commit()
    assert note is not None and upload.notification_id == note.id
    assert reload(session, orders[0]).payment_status is P.deferred_registered
    for _ in range(2):
        deferred_import.apply_job(session, note, lambda done: session.commit())
    for order in orders:
        assert reload(session, order).payment_status is P.deferred_approved
        assert [k for k, _s, _c in ledger(session, order)].count(
            TransactionKind.deferred_result) == 1
