"""注文番号指定 (CSV): order numbers from column A, in CP932 or UTF-8 (BOM or not), header
or not; bad lines reported by line number; nothing happens until the operator continues;
the upload limit, wrong types and invalid bytes (RELIABILITY.md F)."""

import io
import re

import pytest
import sqlalchemy as sa

from oms.models import BulkJob, BulkSelection
from tests.conftest import csrf_token, switch_to_english


@pytest.fixture
def operator(client, auth, users):
    assert auth.login("operator").status_code == 303
    switch_to_english(client)
    return client


@pytest.fixture
def orders(factory, session):
    made = [factory.order() for _ in range(3)]
    session.commit()
    return made


def upload(client, content: bytes, name: str = "orders.csv"):
    return client.post("/bulk/csv", data={
        "csrf_token": csrf_token(client), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data")


def result_page(client, response):
    """The upload answers with a redirect to its result (PRG): that page."""
    assert response.status_code == 303, response.text[:500]
    assert response.location.startswith("/bulk/csv?selection=")
    return client.get(response.location)


def problems(html: str) -> dict[int, str]:
    rows = re.findall(r'<tr data-csv-line="(\d+)">.*?<td>([^<]*)</td></tr>', html, re.S)
    return {int(line): reason for line, reason in rows}


def test_utf8_with_bom_and_header(operator, orders, session):
    a, b, c = (o.order_number for o in orders)
    full_width = b.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    text = (f"注文番号,メモ\r\n{a},最初\r\n{full_width}\r\n12345\r\n{a}\r\n9999999999\r\n"
            f'"{c}",引用\r\n\r\n')
    response = result_page(operator, upload(operator, text.encode("utf-8-sig")))
    assert response.status_code == 200
    page = response.text
    assert 'data-csv-found="3"' in page
    assert "The first line was taken as a header." in page
    assert problems(page) == {4: "Not an order number (10 digits).",
                              5: "Duplicate of line 2.",
                              6: "No such order."}
    # Nothing happens until the operator continues.
    assert session.scalar(sa.select(sa.func.count()).select_from(BulkJob)) == 0
    url = re.search(r'href="(/bulk/operation\?selection=\d+)" data-action="continue"',
                    page).group(1)
    step = operator.get(url).text
    assert 'data-selection-count="3"' in step
    selection = session.scalars(sa.select(BulkSelection)).one()
    assert (selection.source.value, selection.file_name) == ("csv", "orders.csv")


def test_cp932_without_header_reports_an_invalid_byte_by_line(operator, orders, session):
    a, b, _ = (o.order_number for o in orders)
    content = (f"{a},山田様\r\n".encode("cp932") + b"\x81\x20broken\r\n"
               + f"{b},高橋様\r\n".encode("cp932"))
    response = result_page(operator, upload(operator, content))
    assert response.status_code == 200
    assert "Shift_JIS (CP932)" in response.text
    assert 'data-csv-found="2"' in response.text
    reported = problems(response.text)
    assert list(reported) == [2] and "invalid byte" in reported[2]


def test_a_file_without_any_usable_number_is_refused(operator, orders, session):
    response = upload(operator, b"1234\r\nabc1\r\n")
    assert response.status_code == 422
    assert problems(response.text) == {1: "Not an order number (10 digits).",
                                       2: "Not an order number (10 digits)."}
    assert 'data-action="continue"' not in response.text
    assert session.scalar(sa.select(sa.func.count()).select_from(BulkSelection)) == 0


@pytest.mark.parametrize(("name", "content"), [
    ("orders.xlsx", b"PK\x03\x04 not a csv"),
    ("orders.csv", b"1000000001\x00\x00binary"),
])
def test_wrong_types_are_rejected(operator, orders, session, name, content):
    response = upload(operator, content, name)
    assert response.status_code == 422 and "field-error" in response.text
    assert session.scalar(sa.select(sa.func.count()).select_from(BulkSelection)) == 0


def test_no_file_is_a_form_error(operator):
    response = operator.post("/bulk/csv", data={"csrf_token": csrf_token(operator)})
    assert response.status_code == 422 and "field-error" in response.text


def test_one_byte_over_the_upload_limit_is_413(app, operator, orders, session):
    boundary = "oms-test-boundary"
    content = f"{orders[0].order_number}\r\n".encode() * 50
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{csrf_token(operator)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f"name=\"file\"; filename=\"orders.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            ).encode() + content + f"\r\n--{boundary}--\r\n".encode()

    def post():
        return operator.post("/bulk/csv", data=body,
                             content_type=f"multipart/form-data; boundary={boundary}")

    saved = app.config["MAX_CONTENT_LENGTH"]
    try:
        app.config["MAX_CONTENT_LENGTH"] = len(body) - 1
        over = post()
        assert over.status_code == 413 and 'data-error="413"' in over.text
        app.config["MAX_CONTENT_LENGTH"] = len(body)
        assert post().status_code == 303
    finally:
        app.config["MAX_CONTENT_LENGTH"] = saved
    assert session.scalar(sa.select(sa.func.count()).select_from(BulkSelection)) == 1


def test_the_upload_result_is_a_page_a_reload_shows_again(operator, orders, session, auth,
                                                        make_user):
    a = orders[0].order_number
    response = upload(operator, f"{a}\r\n12345\r\n".encode())
    url = response.location
    first = result_page(operator, response).text
    assert 'data-csv-found="1"' in first and problems(first) == {
        2: "Not an order number (10 digits)."}
    again = operator.get(url).text  # a reload: the same report, no second selection
    assert problems(again) == problems(first) and 'data-csv-found="1"' in again
    assert session.scalar(sa.select(sa.func.count()).select_from(BulkSelection)) == 1
    # Another operator's selection is not shown to me: an empty form instead.
    make_user("operator2")
    auth.logout()
    auth.login("operator2")
    other = auth.client.get(url).text
    assert "data-csv-found" not in other and 'data-action="upload"' in other
