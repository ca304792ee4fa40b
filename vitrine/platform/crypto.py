"""Encryption of secrets at rest (store access and refresh tokens) with keys from the environment."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class DecryptionFailed(Exception):
    """The stored value was encrypted with a key that is no longer configured."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        # Development only: a key derived from SECRET_KEY (check --deploy warns when it is unset).
        keys = (base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()).decode(),)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEY), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed("stored secret cannot be decrypted with the configured FIELD_ENCRYPTION_KEY") from None


class EncryptedTextField(models.TextField):
    """A text column stored Fernet-encrypted; reads return plaintext. Not searchable by value."""

    def from_db_value(self, value: str | None, expression: object, connection: object) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: object) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
