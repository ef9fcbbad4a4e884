"""Channel secrets at rest: encrypted with a key derived from SECRET_KEY, or in the environment.

Nothing here ever returns a secret to a page, the admin or the API: only the adapters
that sign or address a request call `channel_secret`.
"""

import base64
import contextlib
import json
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _

from yiyun.core.errors import DomainError

_INFO = b"yiyun.notices.channel-secrets.v1"


def _fernet_for(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet() -> MultiFernet:
    # The current SECRET_KEY encrypts; the fallbacks still decrypt during a key rotation.
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(key) for key in keys])


def secrets_encrypt(values: dict[str, str]) -> str:
    """The Fernet token of `values` (empty values dropped); "" when nothing is left."""
    values = {name: value for name, value in values.items() if value}
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def secrets_decrypt(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise DomainError(
            _("渠道密钥无法解密（SECRET_KEY 已更换？请在管理后台重新填写密钥）"),
            code="channel_secret_unreadable",
        ) from None


def secret_names(channel) -> list[str]:
    """Which secrets a channel holds (names only), for pages that say "configured"."""
    names = set(channel.secrets_env)
    if channel.secrets_encrypted:
        with contextlib.suppress(DomainError):
            names |= set(secrets_decrypt(channel.secrets_encrypted))
    return sorted(names)


def channel_secret(channel, name: str, *, required: bool = True) -> str:
    """One secret of `channel`: from the encrypted store, else its environment variable."""
    stored = secrets_decrypt(channel.secrets_encrypted).get(name)
    if stored:
        return stored
    variable = channel.secrets_env.get(name)
    value = os.environ.get(variable, "") if variable else ""
    if not value and required:
        raise DomainError(
            _("渠道“%(channel)s”缺少密钥 %(name)s") % {"channel": channel.name, "name": name},
            code="channel_secret_missing",
        )
    return value


def channel_secrets_set(channel, values: dict[str, str]) -> None:
    """Merge `values` into the channel's encrypted secrets (an empty value removes one).

    Only sets the field; the caller saves the channel (and audits that secrets changed,
    never what they are).
    """
    current = secrets_decrypt(channel.secrets_encrypted)
    for name, value in values.items():
        if value:
            current[name] = value
        else:
            current.pop(name, None)
    channel.secrets_encrypted = secrets_encrypt(current)
