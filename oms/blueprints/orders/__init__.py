from flask import Blueprint

bp = Blueprint("orders", __name__)

from oms.blueprints.orders import (  # noqa: E402, F401
    blacklist,
    controls,
    custom_values,
    detail,
    inquiries,
    mail,
    memos,
    payment_checks,
    payments,
    routes,
    shipment_imports,
    tracking,
)
