"""Shipping jobs: the 出荷指示 file (oms.services.shipping_export_step), run as a lane of
the target runner so a lost worker's job is resumed where it stopped."""

from jobs import lanes


def export_instructions(notification_id: int) -> None:
    lanes.run(notification_id)
