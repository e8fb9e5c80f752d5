"""What can go wrong talking to a mall."""


class MallError(Exception):
    """A call to a mall failed; `str(error)` is the message to record for the operator."""


class MallUnavailable(MallError):
    """Timeouts, throttling or server errors that retries did not get past."""


class MallRefused(MallError):
    """The mall answered and said no (bad credentials, unknown order, invalid request)."""


class MallDataError(MallError):
    """The mall's answer could not be read (malformed, missing or impossible values)."""
