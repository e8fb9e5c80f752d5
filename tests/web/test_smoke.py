def test_login_then_order_list(client, auth, factory, session):
    order = factory.order(buyer_name="佐藤 花子")
    session.commit()
    assert client.get("/orders/").status_code == 302
    assert auth.login().status_code == 303
    page = client.get("/orders/").get_data(as_text=True)
    assert f'data-order-number="{order.order_number}"' in page
    assert "佐藤 花子" in page
