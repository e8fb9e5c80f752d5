from flask import Blueprint

bp = Blueprint("masters", __name__)

from oms.blueprints.masters import routes  # noqa: E402, F401
