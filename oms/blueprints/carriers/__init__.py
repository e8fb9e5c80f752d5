from flask import Blueprint

bp = Blueprint("carriers", __name__)

from oms.blueprints.carriers import routes  # noqa: E402, F401
