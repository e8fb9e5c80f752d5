"""設定 > 受注管理設定 (自動処理設定): an admin reads and changes how orders move by
themselves; bad input changes nothing; operators are refused."""

import html

import pytest
import sqlalchemy as sa

from oms.models import AuditEvent, PaymentKind, Sku, Stock
from oms.services import app_settings
from tests.conftest import csrf_token, switch_to_english
from tests.html_forms import submitted

URL = "/settings/workflow/"


@pytest.fixture
def admin(client, auth):
    switch_to_english(client)
    assert auth.login("admin").status_code == 303
    return client


def _form(client):
    return submitted(client.get(URL).text, URL)


def _settings_audit(session) -> list[tuple]:
    session.rollback()
    return session.execute(
        sa.select(AuditEvent.field, AuditEvent.old_value, AuditEvent.new_value,
                  AuditEvent.username)
        .where(AuditEvent.action == "settings.update").order_by(AuditEvent.id)).all()


def test_the_page_shows_the_defaults_and_lists_stock_locations(admin, session):
    sku = Sku(code="S1", name="s1", price=100)
    session.add(sku)
    session.flush()
    session.add_all([Stock(sku_id=sku.id, location=location, quantity=1)
                     for location in ("main", "warehouse-2")])
    session.commit()
    page = admin.get(URL)
    assert page.status_code == 200
    form = _form(admin)
    assert form["allocation_mode"] == "auto"
    assert (form["minutes_card"], form["minutes_cod"]) == ("0", "15")
    assert form["confirm_own"] == "y"
    text = html.unescape(page.text)
    # The locations allocation tries are 在庫ロケーション管理's, linked from here.
    assert "Allocation tries, in this order: main" in text
    assert 'href="/settings/lists/stock-locations/"' in text
    assert "Locations in the stock: main, warehouse-2" in text
    # Each allocation mode says what it does (seed 001 §3).
    assert "skip Awaiting allocation" in text and "Allocate stock" in text
    assert "Cash on delivery" in text  # minutes are labelled by payment kind


def test_each_setting_is_saved_read_back_and_audited(admin, session):
    form = _form(admin)
    form["allocation_mode"] = "manual"
    form["minutes_cod"] = "30"
    form["minutes_zero_yen"] = "5"
    form.pop("confirm_own")  # unticked
    response = admin.post(URL, data=form)
    assert response.status_code == 303 and response.headers["Location"].endswith(URL)
    assert "The workflow settings were saved." in admin.get(URL).text

    session.rollback()
    saved = app_settings.workflow(session)
    assert saved.allocation_mode == "manual"
    assert saved.minutes_for(PaymentKind.cod) == 30
    assert saved.minutes_for(PaymentKind.zero_yen) == 5
    assert saved.minutes_for(PaymentKind.card) == 0
    assert saved.require_confirm["own"] is False

    # The page shows what was saved.
    again = _form(admin)
    assert (again["allocation_mode"], again["minutes_cod"], again["minutes_zero_yen"]) == \
        ("manual", "30", "5")
    assert "confirm_own" not in again

    audit = _settings_audit(session)
    assert [row.field for row in audit] == [
        "allocation_mode", "new_after_minutes", "require_confirm"]
    assert all(row.username == "admin" for row in audit)
    mode = next(row for row in audit if row.field == "allocation_mode")
    assert (mode.old_value, mode.new_value) == ("auto", "manual")

    # Saving the page unchanged changes nothing and writes no audit row.
    response = admin.post(URL, data=_form(admin), follow_redirects=True)
    assert "Nothing was changed." in response.text
    assert len(_settings_audit(session)) == 3


@pytest.mark.parametrize(("value", "status"), [
    ("-1", 422), ("99999999999", 422), ("１５", 422), ("10081", 422), ("", 422),
    ("1.5", 422),
    # Control characters are refused for the whole request before any view runs.
    ("1\x00", 400),
])
def test_a_bad_minute_value_changes_nothing(admin, session, value, status):
    form = _form(admin)
    form["allocation_mode"] = "off"  # a good change in the same form is not saved either
    form["minutes_cod"] = value
    response = admin.post(URL, data=form)
    assert response.status_code == status
    if status == 422:
        assert "field-error" in response.text
        assert ("Enter a whole number from 0 to 10,080 in half-width digits (0-9)."
                in response.text or "Enter 0 to 10,080." in response.text)
    else:
        assert "control characters" in response.text
    session.rollback()
    assert app_settings.workflow(session) == app_settings.WorkflowSettings()
    assert _settings_audit(session) == []


def test_an_unknown_allocation_mode_is_refused(admin, session):
    form = _form(admin)
    form["allocation_mode"] = "sometimes"
    assert admin.post(URL, data=form).status_code == 422
    session.rollback()
    assert app_settings.workflow(session).allocation_mode == "auto"


def test_operators_are_refused(client, auth, session):
    auth.login("operator")
    assert client.get(URL).status_code == 403
    response = client.post(URL, data={"csrf_token": csrf_token(client),
                                      "allocation_mode": "off"})
    assert response.status_code == 403
    session.rollback()
    assert app_settings.workflow(session).allocation_mode == "auto"
    assert "/settings/workflow/" not in client.get("/orders/").text


def test_the_settings_index_links_the_page(admin):
    text = admin.get("/settings").text
    assert 'href="/settings/workflow/"' in text and "Order workflow settings" in text
    assert 'href="/settings/bank-accounts/"' in text
