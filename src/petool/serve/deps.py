"""FastAPI dependencies every route uses: the service, and the bearer key -> tenant."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from petool.serve.keys import hash_key, lookup_key
from petool.serve.service import SelectionService

bearer = HTTPBearer(auto_error=False, description="a tenant's API key: `petool serve keys create`")


@dataclass(frozen=True)
class Caller:
    """Who is calling: the tenant and the key used."""

    tenant_id: int
    key_id: int


def get_service(request: Request) -> SelectionService:
    """The app's :class:`SelectionService` (``app.state.service``)."""
    service: SelectionService = request.app.state.service
    return service


async def authenticate(
    request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Caller:
    """The caller of a valid bearer key (401 otherwise), rate-limited per key (429)."""
    if creds is None or not creds.credentials:
        raise HTTPException(401, "missing bearer API key", headers={"WWW-Authenticate": "Bearer"})
    state = request.app.state
    key = creds.credentials
    digest = hash_key(key)
    found = state.key_cache.get(digest)
    if found is None:
        found = await lookup_key(state.sessions, key)
        if found is None:
            raise HTTPException(401, "invalid API key", headers={"WWW-Authenticate": "Bearer"})
        if len(state.key_cache) > 10_000:
            state.key_cache.clear()
        state.key_cache[digest] = found
    caller = Caller(tenant_id=found[0], key_id=found[1])
    if not state.rate_limits.allow(caller.key_id):
        raise HTTPException(
            429, "rate limit exceeded for this API key", headers={"Retry-After": "1"}
        )
    request.state.tenant_id = caller.tenant_id
    return caller
