from flask import Blueprint

bp = Blueprint("shops", __name__)

from oms.blueprints.shops import routes  # noqa: E402, F401
