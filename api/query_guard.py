"""Query parameters an operation does not take, or takes once and got
several times, are refused with the parameter named.

FastAPI ignores an unknown query parameter and keeps the last of repeated
ones: a typo (``?statuss=running``) then silently lists everything, and
``?nextToken=a&nextToken=b`` pages from ``b``. A validation error (422 on
``/sim``, Connect's 400 ``ValidationException`` on Connect paths) says
which parameter was wrong instead.
"""

from __future__ import annotations

import types
from collections import Counter
from typing import Any, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

# Routes that take anything: the liveness probe answers load balancers as they call it.
LENIENT_PATHS = frozenset({"/healthz"})
_SEQUENCES = (list, tuple, set, frozenset)


def _is_sequence(annotation: Any) -> bool:
    """list[str], list[str] | None, Optional[list[str]], ...: may repeat."""
    origin = get_origin(annotation)
    if origin in _SEQUENCES or annotation in _SEQUENCES:
        return True
    if origin in (Union, types.UnionType):
        return any(_is_sequence(arg) for arg in get_args(annotation))
    return False


_DECLARED: dict[
    int, tuple[APIRoute, dict[str, bool]]
] = {}  # id(route) -> (route, its parameters): routes are unhashable


def declared_query(route: APIRoute) -> dict[str, bool]:
    """The route's query parameter names (aliases as sent) -> may repeat."""
    known = _DECLARED.get(id(route))
    if known is not None and known[0] is route:
        return known[1]
    out: dict[str, bool] = {}
    todo: list[Dependant] = [route.dependant]
    while todo:  # the route's own parameters and its dependencies'
        dep = todo.pop()
        for field in dep.query_params:
            out[field.alias] = _is_sequence(field.field_info.annotation)
        todo.extend(dep.dependencies)
    _DECLARED[id(route)] = (route, out)
    return out


async def strict_query(request: Request) -> None:
    """An app-wide dependency: runs once the request is routed (async: no
    I/O, so no trip through the thread pool)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.path_format in LENIENT_PATHS:
        return
    declared = declared_query(route)
    errors: list[dict[str, Any]] = []
    for name, count in Counter(key for key, _ in request.query_params.multi_items()).items():
        shown = name or "(a parameter with no name)"
        if name not in declared:
            errors.append(
                {
                    "loc": ("query", shown),
                    "msg": f"not a parameter of this operation (it takes: {', '.join(sorted(declared)) or 'none'})",
                    "type": "extra_forbidden",
                    "input": request.query_params.get(name),
                }
            )
        elif count > 1 and not declared[name]:
            errors.append(
                {
                    "loc": ("query", shown),
                    "msg": f"given {count} times; this parameter takes one value",
                    "type": "repeated",
                    "input": request.query_params.getlist(name),
                }
            )
    if errors:
        raise RequestValidationError(errors)
