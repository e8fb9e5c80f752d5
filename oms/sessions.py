"""The session cookie, signed again at most once a minute.

A sign-in lasts PERMANENT_SESSION_LIFETIME from the last request: Flask signs and sends a
permanent session's cookie again with every response to push that end back, which took
0.15 ms of the order list's 6. A cookie signed less than `REFRESH_AFTER` ago is left as it
is, so a sign-in may end that much earlier. A changed session is always sent.
"""

import time

from flask import Flask, Response
from flask.sessions import SecureCookieSessionInterface, SessionMixin

REFRESH_AFTER = 60  # seconds
SIGNED_AT = "_signed_at"  # in the session: when its cookie was last signed


class SessionInterface(SecureCookieSessionInterface):
    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        return session.modified or (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
            and time.time() - session.get(SIGNED_AT, 0) >= REFRESH_AFTER)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if session and self.should_set_cookie(app, session):
            session[SIGNED_AT] = int(time.time())
        super().save_session(app, session, response)
