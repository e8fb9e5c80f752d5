"""荷物番号報告: telling each mall the tracking numbers of its orders' shipments."""

from datetime import timedelta

from sqlalchemy.orm import Session

from oms.services.actor import Actor

# A report still pending after this long is shown 要確認 and offered in the CSV/TSV (S6).
STALE_AFTER = timedelta(minutes=60)


def request(session: Session, shipment_ids: list[int], actor: Actor) -> None:
    """Queue the reports of these new shipments, in the caller's transaction.

    Shops on the API get a pending report and a job after the commit; shops on the CSV
    channel get their rows listed for the 楽天/Amazon files. Filled in by the reports work.
    """
