from flask import Blueprint

bp = Blueprint("marketplaces", __name__)

from oms.blueprints.marketplaces import routes  # noqa: E402, F401
