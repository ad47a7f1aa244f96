"""API keys, independent of the web framework: create, list, revoke, authenticate.

A key is ``km_<prefix>_<secret>``: the prefix names it (in lists and logs), the secret is 256 random
bits. Only the SHA-256 of the whole key is stored — a slow password hash buys nothing for a secret
that long — and the key itself is shown once, when it is created.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, text

from models.keys import SCOPES


@dataclass(frozen=True)
class Key:
    id: int
    prefix: str
    name: str
    scopes: tuple[str, ...]
    authorities: tuple[str, ...]  # empty: every authority

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(conn: Connection, name: str, scopes: list[str], authorities: list[str]) -> tuple[Key, str]:
    """A new key and its token (the only time the token exists outside its holder)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"scopes {unknown or scopes} unknown; known: {', '.join(SCOPES)}")
    prefix = secrets.token_hex(4)
    token = f"km_{prefix}_{secrets.token_urlsafe(32)}"
    key_id = conn.execute(text("""
        INSERT INTO api_keys (prefix, secret_hash, name, scopes, authorities)
        VALUES (:prefix, :hash, :name, :scopes, :authorities) RETURNING id"""),
        {"prefix": prefix, "hash": _digest(token), "name": name, "scopes": scopes,
         "authorities": authorities}).scalar_one()
    return Key(key_id, prefix, name, tuple(scopes), tuple(authorities)), token


def listing(conn: Connection) -> list[dict]:
    return [dict(row) for row in conn.execute(text("""
        SELECT id, prefix, name, scopes, authorities, created_at, revoked_at, last_used_at
        FROM api_keys ORDER BY id""")).mappings()]


def revoke(conn: Connection, key_id: int) -> bool:
    return conn.execute(text("UPDATE api_keys SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL"),
                        {"id": key_id}).rowcount == 1


def authenticate(conn: Connection, token: str) -> Key | None:
    """The live key ``token`` is, or None (malformed, unknown, wrong secret or revoked)."""
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "km":
        return None
    row = conn.execute(text("""
        SELECT id, prefix, name, scopes, authorities, secret_hash,
               current_setting('transaction_read_only') = 'on' AS read_only
        FROM api_keys WHERE prefix = :prefix AND revoked_at IS NULL"""), {"prefix": parts[1]}).first()
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(token)):
        return None
    if not row.read_only:  # a read-only database (a standby…) still serves reads to key holders
        conn.execute(text("UPDATE api_keys SET last_used_at = now() WHERE id = :id"), {"id": row.id})
    return Key(row.id, row.prefix, row.name, tuple(row.scopes), tuple(row.authorities))
