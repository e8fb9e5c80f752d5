from flask import Blueprint

bp = Blueprint("bank_accounts", __name__)

from oms.blueprints.bank_accounts import routes  # noqa: E402, F401
