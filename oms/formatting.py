"""Template filters: yen, and timestamps in the configured zone."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_app.config["OMS_TZ"])).strftime(fmt)


def local_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_time(value, "%Y-%m-%d")
    return value.isoformat()


def yen(value: int | None) -> str:
    return "" if value is None else f"¥{value:,}"


def init_app(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(yen, "yen")
