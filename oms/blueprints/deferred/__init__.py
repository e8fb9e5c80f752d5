from flask import Blueprint

bp = Blueprint("deferred", __name__)

from oms.blueprints.deferred import routes  # noqa: E402, F401
