from flask import Blueprint

bp = Blueprint("shipping_export", __name__)

from oms.blueprints.shipping_export import routes  # noqa: E402, F401
