from flask import Blueprint

bp = Blueprint("workflow_settings", __name__)

from oms.blueprints.workflow_settings import routes  # noqa: E402, F401
