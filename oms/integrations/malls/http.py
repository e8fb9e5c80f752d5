"""HTTP to a mall: the shared retrying connection, speaking of "the mall"."""

from oms.integrations.http import RetryingHttp
from oms.integrations.malls.errors import MallUnavailable


class MallHttp(RetryingHttp):
    peer = "the mall"
    unavailable = MallUnavailable
