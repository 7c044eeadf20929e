"""What the Connect v1 and v2 routers share: request plumbing and the tag
operations, which have the same paths and shapes in both versions."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from api import campaign_ops as ops
from api.auth import ConnectManager, ConnectReader
from api.errors import validation
from api.state import ServiceState

# The page tokens the server issues (campaigns.repository.encode_token: the
# unpadded URL-safe base64 of {"o": <offset>}), exactly: any string matching
# it is a token the server accepts, so the OpenAPI document says what a
# valid token is (tests/api/test_fuzz.py checks that every match decodes).
_ANY_DIGIT = "(?:M[DTjz]|N[DTjz]|O[DT])"
_FIRST_DIGIT = "(?:M[Tjz]|N[DTjz]|O[DT])"  # 1-9: JSON numbers have no leading zero
_ONE_LEFT = "(?:M[HXn3]|N[HXn3]|O[HX])0"
_TWO_LEFT = "[BFJNRVZdhl]9"
_TRIPLE = "[AEIMQUYcgk][w-z0-5]"
TOKEN_PATTERN = (
    f"^eyJvIjog(?:{_ONE_LEFT}|{_FIRST_DIGIT}{_TWO_LEFT}|{_FIRST_DIGIT}{_TRIPLE}(?:{_ANY_DIGIT}{_TRIPLE})*"
    f"(?:fQ|{_ONE_LEFT}|{_ANY_DIGIT}{_TWO_LEFT}))$"
)


def page_token(body: dict[str, Any]) -> Any:
    """ListCampaigns' ``nextToken``: absent, null, or a token the server
    issued (the pattern above, as the OpenAPI document says)."""
    token = body.get("nextToken")
    if isinstance(token, str) and not re.fullmatch(TOKEN_PATTERN, token):
        raise validation("nextToken is not a token this server issued")
    return token


JsonBody = Annotated[dict[str, Any], Body()]
OptBody = Annotated[dict[str, Any] | None, Body()]


def svc(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.svc
    return state


def empty() -> Response:
    return Response(status_code=200, content=b"{}", media_type="application/json")


def add_tag_routes(router: APIRouter, summary_suffix: str = "") -> None:
    """ListTagsForResource, TagResource, UntagResource on ``router``."""

    @router.get("/tags/{arn:path}", summary=f"ListTagsForResource{summary_suffix}")
    def list_tags(request: Request, principal: ConnectReader, arn: str):
        return ops.list_tags(svc(request), principal, arn)

    @router.post("/tags/{arn:path}", summary=f"TagResource{summary_suffix}")
    def tag_resource(request: Request, principal: ConnectManager, arn: str, body: JsonBody):
        ops.tag_resource(svc(request), principal, arn, body)
        return empty()

    @router.delete("/tags/{arn:path}", summary=f"UntagResource{summary_suffix}")
    def untag_resource(request: Request, principal: ConnectManager, arn: str, tagKeys: Annotated[list[str], Query()]):
        ops.untag_resource(svc(request), principal, arn, tagKeys)
        return empty()


def add_transition_routes(router: APIRouter, summary_suffix: str = "", name_suffix: str = "") -> None:
    """StartCampaign, PauseCampaign, ResumeCampaign, StopCampaign on ``router``."""

    def make(action: str) -> Callable[..., Response]:
        def handler(request: Request, principal: ConnectManager, id: str):
            state = svc(request)
            with state.session() as s:
                ops.transition(s, state, principal, id, action)
            return empty()

        handler.__name__ = f"{action}_campaign{name_suffix}"
        return handler

    for action in ("start", "pause", "resume", "stop"):
        router.add_api_route(
            f"/campaigns/{{id}}/{action}",
            make(action),
            methods=["POST"],
            summary=f"{action.title()}Campaign{summary_suffix}",
        )
