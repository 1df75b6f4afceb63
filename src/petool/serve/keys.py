"""API keys: ``pt_<prefix>_<secret>``; only the prefix (for look-up) and SHA-256 are stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from petool.serve.db import ApiKey, Tenant


def hash_key(key: str) -> str:
    """The stored digest of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def split_key(key: str) -> str | None:
    """The look-up prefix of a well-formed key, else None."""
    parts = key.split("_")
    if len(parts) != 3 or parts[0] != "pt" or len(parts[1]) != 12 or not parts[2]:
        return None
    return parts[1]


async def create_key(sessions: async_sessionmaker[AsyncSession], tenant: str) -> str:
    """Create (or reuse) the tenant named ``tenant`` and a new key for it; the key is returned
    once and never stored in clear."""
    prefix = secrets.token_hex(6)
    key = f"pt_{prefix}_{secrets.token_urlsafe(32).replace('_', '-')}"
    async with sessions.begin() as s:
        row = await s.scalar(select(Tenant).where(Tenant.name == tenant))
        if row is None:
            row = Tenant(name=tenant)
            s.add(row)
            await s.flush()
        s.add(ApiKey(tenant_id=row.id, prefix=prefix, key_hash=hash_key(key)))
    return key


async def lookup_key(
    sessions: async_sessionmaker[AsyncSession], key: str
) -> tuple[int, int] | None:
    """``(tenant_id, key_id)`` of a valid, unrevoked key, else None (constant-time compare)."""
    prefix = split_key(key)
    if prefix is None:
        return None
    async with sessions() as s:
        row = await s.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if row is None or row.revoked or not hmac.compare_digest(row.key_hash, hash_key(key)):
        return None
    return row.tenant_id, row.id
