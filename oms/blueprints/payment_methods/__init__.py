from flask import Blueprint

bp = Blueprint("payment_methods", __name__)

from oms.blueprints.payment_methods import routes  # noqa: E402, F401
