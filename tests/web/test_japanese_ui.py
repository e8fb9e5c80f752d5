"""The Japanese UI is Japanese throughout: job badges and summaries, the way a change came
in the status history, the shop page's mall problems, the CSV headers of the inventory and
SKU-mapping files; and the link job's page lists its FAIL orders."""

import io
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from oms.models import (
    JobState,
    LineStatus,
    LinkResult,
    MallKind,
    MallSyncFailure,
    OrderLine,
    OrderStatus,
    Sku,
    SkuMapping,
    StatusHistory,
    Stock,
)
from tests.conftest import csrf_token


@pytest.fixture
def operator(auth):
    auth.login("operator")  # Japanese, the default
    return auth.client


@pytest.fixture
def admin(auth):
    auth.login("admin")
    return auth.client


def badge(page: str) -> str:
    return re.search(r'<span class="job-state [^"]*">([^<]*)</span>', page).group(1)


@pytest.mark.parametrize(("state", "total", "failed", "text", "outcome"), [
    (JobState.succeeded, 5, 0, "成功", "succeeded"),
    (JobState.succeeded, 5, 2, "一部失敗 (2件)", "partial"),
    (JobState.succeeded, 2, 2, "失敗", "failed"),
    (JobState.failed, 5, 0, "失敗", "failed"),
    (JobState.cancelled, 5, 0, "キャンセル済", "cancelled"),
])
def test_job_badges_tell_the_truth_on_the_job_page_and_in_the_log(
        operator, factory, session, users, state, total, failed, text, outcome):
    note = factory.notification(users["operator"], kind="mall_refresh", state=state,
                                total=total, done=total, failed=failed)
    session.commit()
    page = operator.get(f"/notifications/{note.id}").get_data(as_text=True)
    assert badge(page) == text and f'data-job-outcome="{outcome}"' in page
    log = operator.get("/notifications/").get_data(as_text=True)
    assert badge(log) == text


def test_via_is_a_word_and_jobs_are_links(operator, factory, session):
    order = factory.order()
    session.add_all([
        StatusHistory(order_id=order.id, from_status="new", to_status="awaiting_allocation",
                      via=via, created_at=datetime(2026, 1, 1, hour, tzinfo=UTC))
        for hour, via in enumerate(["screen", "import", "auto", "bulk:11", "job:42", "odd"],
                                   start=1)])
    session.commit()
    page = operator.get(f"/orders/{order.order_number}/history").get_data(as_text=True)
    cells = re.findall(r"<td>((?:(?!</td>).)*)</td>\s*</tr>", page, re.S)
    assert cells == ['odd', '<a href="/notifications/42" data-via="job">ジョブ #42</a>',
                     '<a href="/bulk/jobs/11" data-via="bulk">一括更新 #11</a>',
                     "自動", "取込", "画面"]
    assert "bulk:11" not in page and "job:42" not in page


def test_the_shop_page_names_what_a_mall_problem_was_about(admin, factory, session):
    shop = factory.shop(MallKind.rakuten)
    session.add_all([MallSyncFailure(shop_id=shop.id, mall_order_id="R-1", action=action,
                                     message="楽天: エラー") for action in ("lines", "import")])
    session.commit()
    page = admin.get(f"/settings/shops/{shop.id}").get_data(as_text=True)
    assert '<td data-failure-action="lines">明細の変更</td>' in page
    assert '<td data-failure-action="import">取込</td>' in page
    assert ">lines<" not in page


def _line(code, n=1, result=None, error=None):
    return OrderLine(line_no=n, mall_product_code=code, product_name=code, quantity=1,
                     unit_price=500, status=LineStatus.preparing, link_result=result,
                     link_error=error)


def test_the_link_job_page_lists_its_fail_orders_and_links_to_them(operator, factory,
                                                                   session, users):
    shop = factory.shop()
    fail = factory.order(shop=shop, link_result=LinkResult.fail, lines=[
        _line("GOOD", 1, LinkResult.ok), _line("NOPE", 2, LinkResult.fail, "SKUなし")])
    factory.order(shop=shop, link_result=LinkResult.ok)
    elsewhere = factory.order(link_result=LinkResult.fail)  # not in the job's search
    search = f"tab=all&shop_id={shop.id}"
    note = factory.notification(users["operator"], kind="item_link", state=JobState.succeeded,
                                total=2, done=2, failed=1, params={"search": search})
    session.commit()
    page = operator.get(f"/notifications/{note.id}").get_data(as_text=True)
    assert badge(page) == "一部失敗 (1件)"
    assert 'data-link-failures="1"' in page
    assert f'<tr data-order-number="{fail.order_number}">' in page
    assert "NOPE: SKUなし" in page and "GOOD:" not in page
    assert f'data-order-number="{elsewhere.order_number}"' not in page
    link = re.search(r'href="([^"]+)" data-action="link-fail-orders"', page).group(1)
    link = link.replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query) == {"tab": ["all"], "shop_id": [str(shop.id)],
                                              "link_result": ["FAIL"]}
    listed = operator.get(link).get_data(as_text=True)
    assert re.findall(r'<tr data-order-number="(\d+)"', listed) == [fail.order_number]


def test_the_inventory_file_speaks_japanese_and_reads_any_language(operator, factory, session):
    sku = Sku(code="TEE-M", name="Tシャツ", price=2900)
    sku.stocks = [Stock(location="main", quantity=10, allocated=2)]
    session.add(sku)
    order = factory.order(status=OrderStatus.ready_to_ship, lines=[_line("TEE-M")])
    order.lines[0].sku = sku
    session.commit()
    response = operator.post("/marketplaces/inventory/download", data={
        "csrf_token": csrf_token(operator), "scope": "search", "search": "tab=processing",
        "encoding": "cp932"})
    header = response.data.decode("cp932").splitlines()[0]
    assert header == ("受注番号,明細番号,モール商品コード,オプション,商品名,注文数量,SKUコード,"
                      "ロケーション,在庫数,引当数,有効在庫数")
    page = operator.get("/marketplaces/inventory/upload").get_data(as_text=True)
    assert "SKUコード, ロケーション, 在庫数の列を含むCSVファイル" in page

    for head in ("SKUコード,ロケーション,在庫数", "SKU code,Location,Stock", "sku,location,stock",
                 "ＳＫＵコード , ロケーション,在庫数"):
        response = operator.post("/marketplaces/inventory/upload", data={
            "csrf_token": csrf_token(operator),
            "file": (io.BytesIO(f"{head}\r\nTEE-M,main,7\r\n".encode("cp932")), "s.csv")},
            content_type="multipart/form-data")
        assert response.status_code == 303, (head, response.get_data(as_text=True)[-600:])
        assert 'data-good-rows="1"' in operator.get(response.location).get_data(as_text=True)
    response = operator.post("/marketplaces/inventory/upload", data={
        "csrf_token": csrf_token(operator),
        "file": (io.BytesIO("SKUコード,在庫数\r\nTEE-M,7\r\n".encode()), "s.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "ヘッダー行に次の列がありません：ロケーション" in response.get_data(as_text=True)


def test_the_mapping_file_speaks_japanese_and_takes_a_shop_by_name(admin, factory, session):
    rakuten = factory.shop(MallKind.rakuten, code="rakuten1", name="楽天市場店")
    yahoo = factory.shop(MallKind.yahoo, code="yahoo1", name="Yahoo!ショッピング店")
    factory.shop(MallKind.qoo10, code="q1", name="同名店")
    factory.shop(MallKind.qoo10, code="q2", name="同名店")
    session.add(Sku(code="MUG-1", name="mug", price=1800))
    session.commit()
    page = admin.get("/settings/shops/mappings").get_data(as_text=True)
    assert "ショップ,モール商品コード,オプション,SKUコード" in page

    def upload(text):
        return admin.post("/settings/shops/mappings/import", data={
            "csrf_token": csrf_token(admin), "file": (io.BytesIO(text.encode("cp932")), "m.csv")},
            content_type="multipart/form-data")

    response = upload("ショップ,モール商品コード,オプション,SKUコード\r\n"
                      "楽天市場店,mug-a,,MUG-1\r\n"
                      f"{yahoo.id},mug-b,,MUG-1\r\n"
                      "rakuten1,mug-c,赤,MUG-1\r\n")
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    saved = dict(session.execute(sa.select(SkuMapping.product_code, SkuMapping.shop_id)).all())
    assert saved == {"mug-a": rakuten.id, "mug-b": yahoo.id, "mug-c": rakuten.id}

    # A name two shops share names neither: refused, with the line, and nothing saved.
    response = upload("Shop,Mall product code,Option,SKU code\r\n同名店,mug-d,,MUG-1\r\n")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-line="2"' in page and "ショップ「同名店」が見つかりません" in page
    assert session.scalar(sa.select(sa.func.count()).select_from(SkuMapping)) == 3


def test_the_mappings_pager_keeps_the_search(admin, factory, session):
    shop = factory.shop()
    sku = Sku(code="S-1", name="s", price=1)
    session.add(sku)
    session.flush()
    session.add_all(SkuMapping(shop_id=shop.id, product_code=f"code-{i:03d}", option="",
                               sku_id=sku.id) for i in range(120))
    session.commit()
    page = admin.get(f"/settings/shops/mappings?shop_id={shop.id}&q=code").get_data(
        as_text=True)
    assert page.count('data-mapping="') == 100
    following = re.search(r'<a href="([^"]+)" rel="next">', page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(following).query) == {"shop_id": [str(shop.id)], "q": ["code"],
                                                   "page": ["2"]}
    second = admin.get(following).get_data(as_text=True)
    assert second.count('data-mapping="') == 20 and 'rel="prev"' in second
