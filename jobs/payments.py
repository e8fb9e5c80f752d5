"""The automatic payment steps, queued by the scheduler with the workflow sweep (at most
one at a time): the 楽天カード poll, the recovery of effects in doubt, expiry flags and
auto-authorize. The payment job itself runs in lanes (jobs.lanes.run)."""

from datetime import timedelta

from jobs import _app
from oms.extensions import db
from oms.services.payments import automatic


def maintain() -> None:
    """One look at everything the payment steps do by themselves, committing each part."""
    app = _app()
    with app.app_context():
        session = db.session
        automatic.poll_awaited(session, app.config["SECRET_KEY"], session.commit)
        automatic.retry_in_doubt(
            session, lease=timedelta(seconds=app.config["PAYMENT_RECOVERY_SECONDS"]))
        session.commit()
        automatic.flag_expiring(session)
        session.commit()
        automatic.authorize_waiting(session)
        session.commit()
