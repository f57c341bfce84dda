"""Password hashing with the standard library (scrypt, a random salt per password).

A Flask app would often use ``werkzeug.security`` here; this keeps the example free of
dependencies that microflask does not install.
"""

import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1


def hash_password(password):
    """``scrypt$<salt hex>$<hash hex>`` for ``password``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(stored, password):
    """Whether ``password`` matches a value made by :func:`hash_password` (constant time)."""
    try:
        method, salt, expected = stored.split("$")
    except ValueError:
        return False
    if method != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=_N, r=_R, p=_P)
    return hmac.compare_digest(digest.hex(), expected)
