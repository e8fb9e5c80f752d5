from flask import Blueprint

bp = Blueprint("custom_fields", __name__)

from oms.blueprints.custom_fields import routes  # noqa: E402, F401
