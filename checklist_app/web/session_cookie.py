"""The session cookie as Flask signs it, with its signing serializer made once per key.

Flask makes the serializer afresh each time it opens or saves a session, twice a request, and
making one serializes an empty dict to find out whether it works on text: about 25 µs each time
on the benchmark's machine. The serializer holds no state between calls, so one is shared by
every thread; a new secret key (or fallback list) makes a new one.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class KeptSerializerSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._kept: tuple[object, object] = (None, None)  # (the keys, their serializer)

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept_keys, serializer = self._kept
        if kept_keys != keys:
            serializer = super().get_signing_serializer(app)
            self._kept = (keys, serializer)  # one assignment: a thread reads the old pair or the new
        return serializer


def init_app(app: Flask) -> None:
    app.session_interface = KeptSerializerSessionInterface()
