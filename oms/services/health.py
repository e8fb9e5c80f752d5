"""Reachability of what the app depends on, for load balancers."""

import redis
import sqlalchemy as sa
from sqlalchemy.orm import Session


def check(session: Session, connect_redis) -> dict[str, bool]:
    """`connect_redis` is a callable so a failure to start or reach Redis counts as down."""
    result = {"database": True, "redis": True}
    try:
        session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        session.rollback()
        result["database"] = False
    try:
        connect_redis().ping()
    except (redis.RedisError, OSError, RuntimeError):
        result["redis"] = False
    return result
