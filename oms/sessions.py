"""The session cookie: signed again at most once a minute, and read once per process.

A sign-in lasts PERMANENT_SESSION_LIFETIME from the last request: Flask signs and sends a
permanent session's cookie again with every response to push that end back, which took
0.15 ms of the order list's 6. A cookie signed less than `REFRESH_AFTER` ago is left as it
is, so a sign-in may end that much earlier. A changed session is always sent.

So a browser sends the same cookie for a minute or more, and checking its signature and
decoding it again each time cost a twentieth of the order list's Python time: a cookie
read once is kept (its data and when it was signed) and, while not expired, its data is
taken from there. The cookie string is what was verified, byte for byte, under this
process's key; a session holding anything mutable (flashed messages) is never kept, since
its copies would share it.
"""

import time

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature

REFRESH_AFTER = 60  # seconds
SIGNED_AT = "_signed_at"  # in the session: when its cookie was last signed
KEPT_COOKIES = 1000  # per process, the oldest going first
_IMMUTABLE = (str, int, float, bool, type(None))


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._kept: dict[str, tuple[float, dict]] = {}  # cookie -> (signed at, data)

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        cookie = request.cookies.get(self.get_cookie_name(app))
        kept = self._kept.get(cookie) if cookie else None
        max_age = app.permanent_session_lifetime.total_seconds()
        if kept is not None and time.time() - kept[0] <= max_age:
            return self.session_class(kept[1])
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        if not cookie:
            return self.session_class()
        try:
            data, signed_at = serializer.loads(cookie, max_age=int(max_age),
                                               return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(value, _IMMUTABLE) for value in data.values()):
            self._kept[cookie] = (signed_at.timestamp(), data)
            if len(self._kept) > KEPT_COOKIES:
                self._kept.pop(next(iter(self._kept)), None)
        return self.session_class(data)

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        return session.modified or (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
            and time.time() - session.get(SIGNED_AT, 0) >= REFRESH_AFTER)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if session and self.should_set_cookie(app, session):
            session[SIGNED_AT] = int(time.time())
        super().save_session(app, session, response)
