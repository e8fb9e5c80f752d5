"""Blueprint registration: one package per area."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from oms.blueprints import (
        auth,
        bank_accounts,
        bulk,
        carriers,
        custom_fields,
        deferred,
        mail,
        main,
        marketplaces,
        masters,
        notifications,
        orders,
        payment_methods,
        payment_settings,
        shipments,
        shipping_export,
        shops,
        workflow_settings,
    )

    app.register_blueprint(auth.bp)
    app.register_blueprint(main.bp)
    app.register_blueprint(orders.bp, url_prefix="/orders")
    app.register_blueprint(notifications.bp, url_prefix="/notifications")
    app.register_blueprint(marketplaces.bp, url_prefix="/marketplaces")
    app.register_blueprint(shops.bp, url_prefix="/settings/shops")
    app.register_blueprint(bulk.bp, url_prefix="/bulk")
    app.register_blueprint(shipments.bp, url_prefix="/shipments")
    app.register_blueprint(shipping_export.bp, url_prefix="/shipping/export")
    app.register_blueprint(deferred.bp, url_prefix="/payments/deferred")
    app.register_blueprint(custom_fields.bp, url_prefix="/settings/custom-fields")
    app.register_blueprint(workflow_settings.bp, url_prefix="/settings/workflow")
    app.register_blueprint(payment_settings.bp, url_prefix="/settings/payments")
    app.register_blueprint(bank_accounts.bp, url_prefix="/settings/bank-accounts")
    app.register_blueprint(carriers.bp, url_prefix="/settings/carriers")
    app.register_blueprint(payment_methods.bp, url_prefix="/settings/payment-methods")
    app.register_blueprint(masters.bp, url_prefix="/settings/lists")
    app.register_blueprint(mail.bp, url_prefix="/mail")
