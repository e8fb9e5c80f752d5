from flask import Blueprint

bp = Blueprint("shipments", __name__)

from oms.blueprints.shipments import routes  # noqa: E402, F401
