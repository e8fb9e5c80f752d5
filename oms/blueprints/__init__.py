"""Blueprint registration: one package per area."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from oms.blueprints import auth, main, notifications, orders

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(orders.bp, url_prefix="/orders")
    app.register_blueprint(notifications.bp, url_prefix="/notifications")
