from flask import Blueprint

bp = Blueprint("payment_settings", __name__)

from oms.blueprints.payment_settings import routes  # noqa: E402, F401
