"""The ``/v1`` routes of the memory and selection API (all tenant-scoped by the bearer key)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from petool.serve.deps import Caller, authenticate, get_service
from petool.serve.models import (
    Deleted,
    FeedbackIn,
    FeedbackOut,
    HistoryPage,
    InteractionCounts,
    InteractionsIn,
    SelectIn,
    Selection,
    ToolsetIn,
    ToolsetOut,
    UserIn,
)
from petool.serve.service import SelectionService

router = APIRouter(prefix="/v1", tags=["memory and selection"])
Svc = Annotated[SelectionService, Depends(get_service)]
Auth = Annotated[Caller, Depends(authenticate)]
UserId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:@\-]+$")]
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "bad input"},
    401: {"description": "bad key"},
    404: {"description": "not found"},
    429: {"description": "rate limited"},
}


@router.post("/toolsets", response_model=ToolsetOut, status_code=201, responses=ERRORS)
async def add_toolset(body: ToolsetIn, caller: Auth, svc: Svc) -> ToolsetOut:
    """Register a toolset (a new version when the name exists)."""
    return await svc.add_toolset(caller.tenant_id, body.name, body.tools, body.jsonl)


@router.put("/users/{user_id}", response_model=UserIn, responses=ERRORS)
async def put_user(user_id: UserId, body: UserIn, caller: Auth, svc: Svc) -> UserIn:
    """Create or replace a user's profile and environment."""
    return await svc.put_user(caller.tenant_id, user_id, body)


@router.post("/users/{user_id}/interactions", response_model=InteractionCounts, responses=ERRORS)
async def add_interactions(
    user_id: UserId, body: InteractionsIn, caller: Auth, svc: Svc
) -> InteractionCounts:
    """Add past interactions in bulk; a re-sent client ``id`` is counted as a duplicate."""
    return await svc.record_interactions(caller.tenant_id, user_id, body.items)


@router.get("/users/{user_id}/history", response_model=HistoryPage, responses=ERRORS)
async def history(
    user_id: UserId,
    caller: Auth,
    svc: Svc,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> HistoryPage:
    """A user's interactions, oldest first, ``limit`` at a time."""
    return await svc.history(caller.tenant_id, user_id, limit=limit, cursor=cursor)


@router.delete("/users/{user_id}", response_model=Deleted, responses=ERRORS)
async def delete_user(user_id: UserId, caller: Auth, svc: Svc) -> Deleted:
    """Delete a user and everything stored about them."""
    return await svc.delete_user(caller.tenant_id, user_id)


@router.post("/select", response_model=Selection, responses=ERRORS)
async def select_tool(body: SelectIn, caller: Auth, svc: Svc, request: Request) -> Selection:
    """The call this user would want for the instruction, with ranked alternatives."""
    result = await svc.select(
        caller.tenant_id,
        body.user_id,
        body.instruction,
        toolset_id=body.toolset_id,
        tools=body.tools,
        candidates=body.candidates,
        backend=body.backend,
        top_k=body.top_k,
    )
    request.app.state.metrics.selections.labels(result.backend, result.status).inc()
    return result


@router.post("/feedback", response_model=FeedbackOut, responses=ERRORS)
async def feedback(body: FeedbackIn, caller: Auth, svc: Svc, request: Request) -> FeedbackOut:
    """Rate a served selection: +1 / -1 joins the user's history as a rated interaction."""
    out = await svc.record_feedback(caller.tenant_id, body.selection_id, body.rating)
    request.app.state.metrics.feedback.labels(str(body.rating)).inc()
    return out
