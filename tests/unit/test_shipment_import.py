"""出荷確定インポート (SCOPE P2 S4, S5, S8, acceptance check 4): the label software's files
checked row by row, applied on 取り込む, and applied once."""

import codecs

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from oms.csvfiles import UploadError
from oms.models import (
    LineStatus,
    Notification,
    Order,
    OrderLine,
    OrderStatus,
    Shipment,
    ShipmentImport,
    StatusHistory,
)
from oms.services import shipment_confirm, shipment_import
from oms.services.actor import Actor

S = OrderStatus
OPERATOR = Actor(None, "operator", None, "screen")


@pytest.fixture
def ja(session):
    with force_locale("ja"):
        yield


def crlf(*lines: str) -> str:
    return "".join(f"{line}\r\n" for line in lines)


def check(session, text: str, layout: str = "b2", encoding: str = "cp932") -> ShipmentImport:
    return shipment_import.check(session, None, "issued.csv", text.encode(encoding), layout)


def apply(session, upload: ShipmentImport) -> None:
    shipment_import.apply(session, upload, OPERATOR, None, "ja")
    session.flush()
    session.expire_all()


def shipping(factory, **kw) -> Order:
    kw.setdefault("status", S.shipping)
    kw.setdefault("carrier", "ヤマト運輸")
    return factory.order(lines=[OrderLine(line_no=1, mall_product_code="P-1",
                                          product_name="りんご", quantity=1, unit_price=1000,
                                          status=LineStatus.awaiting_pickup)], **kw)


def problems(upload: ShipmentImport) -> dict[int, tuple[str, str]]:
    return {line: (message, kind) for line, message, kind in upload.errors}


def test_check_4_b2_read_back_imports_once(session, factory, ja):
    a, b = shipping(factory), shipping(factory)
    text = crlf(f"{a.order_number},0,,123456789012,2026/12/01",
                f"{b.order_number},0,,12345,2026/12/01",
                "9999999999,0,,123456789013,2026/12/01",
                f"{a.order_number},0,,123456789012,2026/12/01")
    upload = check(session, text)
    assert [(r.line, r.order_number, r.number) for r in shipment_import.good_rows(upload)] == [
        (1, a.order_number, "123456789012")]
    assert problems(upload) == {
        2: ("伝票番号の形式が違います（12桁）", "error"),
        3: ("注文番号が見つかりません", "error"),
        4: ("同じ注文が1行目にあります", "error"),
    }
    assert upload.format == "b2"
    session.expire_all()
    assert session.get(Order, a.id).status is S.shipping  # nothing changes until 取り込む

    apply(session, upload)
    a = session.get(Order, a.id)
    assert a.status is S.shipped and a.tab == "done"
    assert a.ship_confirmed_at is not None and a.shipped_at is not None
    assert [(s.tracking_number, s.carrier, s.import_id, str(s.ship_date)) for s in a.shipments
            ] == [("123456789012", "ヤマト運輸", upload.id, "2026-12-01")]
    assert [line.status for line in a.lines] == [LineStatus.in_transit]
    assert session.get(Order, b.id).status is S.shipping
    moved = session.scalars(sa.select(StatusHistory).where(StatusHistory.order_id == a.id,
                                                           StatusHistory.line_id.is_(None)))
    assert [(h.from_status, h.to_status, h.via) for h in moved] == [
        ("shipping", "shipped", "import")]

    with pytest.raises(UploadError):  # applying twice changes nothing
        apply(session, upload)
    with pytest.raises(UploadError) as again:  # so does uploading the same file again
        check(session, text)
    assert "1 行目: 取り込み済み" in str(again.value)
    assert len(session.get(Order, a.id).shipments) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(ShipmentImport)) == 1


def test_generic_csv_in_cp932_and_in_utf8_with_bom(session, factory, ja):
    a, b = shipping(factory, carrier=None), shipping(factory, carrier=None)
    cp932 = crlf(f"{a.order_number},1234-5678-9012,佐川急便,2026/12/02")
    upload = check(session, cp932, "generic")
    assert upload.encoding == "cp932" and upload.errors == []
    bom = codecs.BOM_UTF8.decode() + crlf("注文番号,配送伝票番号,配送業者,出荷日",
                                          f"{b.order_number},０９８７６５４３２１０９,yamato,20261203")
    with_bom = check(session, bom, "generic", "utf-8")
    assert with_bom.encoding == "utf8" and with_bom.errors == []
    apply(session, upload)
    apply(session, with_bom)
    a, b = session.get(Order, a.id), session.get(Order, b.id)
    assert (a.shipments[0].tracking_number, a.shipments[0].carrier, a.carrier,
            str(a.shipments[0].ship_date)) == ("123456789012", "佐川急便", "佐川急便",
                                               "2026-12-02")
    assert (b.shipments[0].tracking_number, b.shipments[0].carrier) == ("098765432109",
                                                                        "ヤマト運輸")
    assert a.status is b.status is S.shipped


def test_e_hiden_and_yu_pri_read_backs(session, factory, ja):
    sagawa = shipping(factory, carrier="佐川急便")
    post = shipping(factory, carrier="日本郵便")
    ehiden = check(session, crlf("お問い合せ送り状No,出荷日付,お客様管理ナンバー",
                                 f"400012345678,20261201,{sagawa.order_number}"), "ehiden2")
    yupri = check(session, crlf(f"{post.order_number},12345678901"), "yupri")
    assert ehiden.errors == [] and yupri.errors == []
    apply(session, ehiden)
    apply(session, yupri)
    assert session.get(Order, sagawa.id).shipments[0].tracking_number == "400012345678"
    assert session.get(Order, post.id).shipments[0].carrier == "日本郵便"
    with pytest.raises(UploadError) as short:
        check(session, crlf(f"{shipping(factory, carrier='日本郵便').order_number},123"),
              "yupri")
    assert "伝票番号の形式が違います（11〜12桁）" in str(short.value)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "空"),
    (b"\r\n\r\n", "空"),
    (b"\x81\x7f\xff\xfe,1", "UTF-8"),
    ("お客様管理番号,送り状種類\r\n1,0\r\n".encode("cp932"), "伝票番号"),
])
def test_a_file_that_cannot_be_read_is_refused_whole(session, data, message, ja):
    with pytest.raises(UploadError) as refused:
        shipment_import.check(session, None, "bad.csv", data, "b2")
    assert message in str(refused.value)
    assert session.scalar(sa.select(sa.func.count()).select_from(ShipmentImport)) == 0


def test_bad_rows_are_reported_by_line_and_never_stop_the_others(session, factory, ja):
    good = shipping(factory)
    text = crlf(f"{good.order_number},0,,123456789012",
                "1\x00,0,,123456789012",
                f"2,0,,{'9' * 200_000}",
                f"{good.order_number}x,0,,١٢٣٤٥٦٧٨٩٠١٢",
                ",0,,123456789012",
                f"{'9' * 40},0,,",
                f"{'9' * 40},0,,123456789012,0001/01/01",
                f"{'9' * 40},0,,123456789012,9999/99/99",
                f"{'9' * 40},0,,123456789012")
    upload = check(session, text, encoding="utf-8")
    found = problems(upload)
    assert [r.line for r in shipment_import.good_rows(upload)] == [1]
    assert "制御文字" in found[2][0]
    assert "131,072" in found[3][0]
    assert "伝票番号ではありません" in found[4][0]
    assert "注文番号が空" in found[5][0]
    assert "伝票番号が空" in found[6][0]
    assert "1900" in found[7][0] and "出荷日" in found[8][0]
    assert found[9][0] == "注文番号が見つかりません"


def test_what_the_check_warns_about_or_refuses(session, factory, ja):
    held = shipping(factory, shipping_hold=True)
    new = shipping(factory, status=S.new)
    manual = shipping(factory, auto_advance=False)
    waiting = shipping(factory, status=S.ready_to_ship)
    done = shipping(factory, status=S.shipped)
    session.add(Shipment(order_id=done.id, carrier="ヤマト運輸", tracking_number="111111111111"))
    exported = shipping(factory)
    session.add(Shipment(order_id=exported.id, carrier="ヤマト運輸", service="宅急便"))
    packed = [shipping(factory), shipping(factory)]
    session.flush()
    text = crlf(*(f"{o.order_number},0,,{n}" for o, n in (
        (held, "100000000001"), (new, "100000000002"), (manual, "100000000003"),
        (waiting, "100000000004"), (done, "222222222222"), (exported, "100000000006"),
        (packed[0], "100000000007"), (packed[1], "100000000007"))))
    upload = check(session, text)
    found = problems(upload)
    assert found[1] == ("出荷停止中の注文です", "error")
    assert found[2] == ("出荷待ち・出荷中の注文ではありません（現在: 新規）", "status")
    assert "111111111111" in found[5][0] and found[5][1] == "error"
    rows = {r.line: r for r in shipment_import.good_rows(upload)}
    assert sorted(rows) == [3, 4, 6, 7, 8]
    assert packed[1].order_number in rows[7].warning and rows[3].warning is None

    apply(session, upload)
    manual = session.get(Order, manual.id)
    assert manual.status is S.shipping  # 手動 keeps its status (R1), with its parcel
    assert manual.shipments[0].tracking_number == "100000000003"
    assert [line.status for line in manual.lines] == [LineStatus.in_transit]
    assert session.get(Order, waiting.id).status is S.shipped  # from 出荷待ち too
    exported = session.get(Order, exported.id)
    assert [(s.tracking_number, s.service) for s in exported.shipments] == [
        ("100000000006", "宅急便")]  # the export's shipment is filled, not doubled


def test_no_ship_complete_mail_is_queued_while_the_system_mail_is_off(session, factory, ja):
    pending = shipping(factory)
    outcome = shipment_confirm.confirm(session, [
        shipment_confirm.Confirmation(pending.id, "123412341234")], OPERATOR)
    assert outcome.shipped == [pending.id]
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)
                          .where(Notification.kind == "mail")) == 0
    session.expire_all()
    assert session.get(Order, pending.id).ship_mail_sent is False  # tests/unit/test_mail.py


def test_the_confirm_service_refuses_what_moved_and_skips_what_is_done(session, factory, ja):
    order = shipping(factory)
    rows = [shipment_confirm.Confirmation(order.id, "123412341234")]
    first = shipment_confirm.confirm(session, rows, OPERATOR)
    second = shipment_confirm.confirm(session, rows, OPERATOR)
    assert first.confirmed == [order.id] and second.skipped == rows and not second.confirmed
    cancelled = shipping(factory, status=S.cancelled)
    refused = shipment_confirm.confirm(
        session, [shipment_confirm.Confirmation(cancelled.id, "123412341299")], OPERATOR)
    assert refused.refused and not refused.confirmed
