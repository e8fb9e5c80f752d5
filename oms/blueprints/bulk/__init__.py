from flask import Blueprint

bp = Blueprint("bulk", __name__)

from oms.blueprints.bulk import jobs, wizard  # noqa: E402, F401
