"""Secrets at rest (mall credentials): Fernet, keyed from the app's SECRET_KEY."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretUnreadable(Exception):
    """Encrypted with another SECRET_KEY, or damaged: the secret must be entered again."""


def _fernet(secret_key: str) -> Fernet:
    # A derived key, so the Fernet key is never the signing key itself.
    digest = hashlib.sha256(b"oms-credentials:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(secret_key: str, plain: str) -> str:
    return _fernet(secret_key).encrypt(plain.encode()).decode()


def decrypt(secret_key: str, token: str) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as error:
        raise SecretUnreadable from error


def mask(plain: str) -> str:
    """What a settings page may show: the last four characters at most."""
    return "••••" + plain[-4:] if len(plain) > 8 else "••••"
