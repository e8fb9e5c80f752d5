from flask import Blueprint

bp = Blueprint("mail", __name__)

from oms.blueprints.mail import routes, settings  # noqa: E402, F401
