from flask import Blueprint

bp = Blueprint("main", __name__)

from oms.blueprints.main import routes  # noqa: E402, F401
