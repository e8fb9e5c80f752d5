"""Rate limits per mall account, shared through Redis by every worker process.

Each call reserves the next free slot (a GCRA-style "theoretical arrival time") atomically
in Redis and sleeps until it; `burst` calls may go at once after a quiet spell.
"""

import time
from collections.abc import Callable

import redis

_RESERVE = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now - (burst - 1) * interval
if wait < 0 then wait = 0 end
local ttl = math.ceil((tat + interval - now) * 1000) + 1000
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', ttl)
return tostring(wait)
"""


def redis_throttle(connection: redis.Redis, key: str, per_second: float, burst: int = 1,
                   sleep: Callable[[float], None] = time.sleep) -> Callable[[], None]:
    """A throttle() for MallHttp: at most `per_second` calls per second across processes."""
    if per_second <= 0:
        return lambda: None
    script = connection.register_script(_RESERVE)
    interval = 1.0 / per_second

    def throttle() -> None:
        wait = float(script(keys=[key], args=[time.time(), interval, burst]))
        if wait > 0:
            sleep(wait)

    return throttle
