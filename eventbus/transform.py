"""What a target receives: the whole event, ``Input`` (a constant),
``InputPath`` (a JSONPath into the event) or ``InputTransformer``
(``InputPathsMap`` + ``InputTemplate``), as the EventBridge user guide
("Input transformation") defines them.

Template rules, as AWS renders them (checked against the outputs LocalStack
recorded from AWS, tests/eventbus/test_transform.py): ``<name>`` is replaced
by the value its path selects. Outside quotes the value goes in as JSON
(``"id": <id>`` gives ``"id": "c-1"``); inside a quoted string it goes in
bare: strings as they are, objects and lists as JSON without quotes
(``[ACTIVE,INACTIVE]``); a JSON object template that would put an object or
a list inside a string is not delivered. A path that selects nothing gives
``""`` outside quotes and nothing inside. A template naming a placeholder
that the paths map does not define is refused when the target is put.
Predefined names: ``aws.events.rule-arn``, ``aws.events.rule-name``,
``aws.events.event.ingestion-time``, ``aws.events.event`` (the envelope
without ``detail``) and ``aws.events.event.json`` (the whole event).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_MISSING = object()
_STEP = re.compile(r"\.([A-Za-z0-9_\-$@]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")
_NAME = re.compile(r"<([A-Za-z0-9_.\-]+)>")
RESERVED = (
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
)


class TransformError(ValueError):
    """A path or template that cannot be used; names the field and value."""


def check_path(path: str, field: str) -> list[Any]:
    """Parse ``$.a.b[0]['c-d']`` into steps, or raise naming ``field``."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise TransformError(f"{field}: {path!r} is not a JSONPath starting with '$'")
    steps: list[Any] = []
    pos = 1
    while pos < len(path):
        m = _STEP.match(path, pos)
        if not m:
            raise TransformError(f"{field}: {path!r} is not a valid JSONPath (at character {pos})")
        name, index, q1, q2 = m.groups()
        steps.append(
            int(index) if index is not None else (name if name is not None else (q1 if q1 is not None else q2))
        )
        pos = m.end()
    return steps


def select_path(event: Any, steps: list[Any]) -> Any:
    node = event
    for s in steps:
        if isinstance(s, int):
            if not isinstance(node, list) or s >= len(node):
                return _MISSING
            node = node[s]
        else:
            if not isinstance(node, dict) or s not in node:
                return _MISSING
            node = node[s]
    return node


@dataclass(frozen=True)
class Transform:
    """One target's input shaping, checked when the target is put."""

    input: str | None = None
    input_path: list[Any] | None = None
    paths: dict[str, list[Any]] | None = None
    template: str | None = None

    @classmethod
    def from_target(cls, target: dict[str, Any]) -> Transform:
        given = [k for k in ("Input", "InputPath", "InputTransformer") if target.get(k) is not None]
        if len(given) > 1:
            raise TransformError(
                f"Only one of Input, InputPath, or InputTransformer may be set (target {target.get('Id')!r} sets {given})"
            )
        if target.get("Input") is not None:
            try:
                json.loads(target["Input"])
            except (TypeError, ValueError):
                raise TransformError(f"Input: {target['Input']!r} is not valid JSON") from None
            return cls(input=target["Input"])
        if target.get("InputPath") is not None:
            return cls(input_path=check_path(target["InputPath"], "InputPath"))
        it = target.get("InputTransformer")
        if it is not None:
            if not isinstance(it, dict) or not isinstance(it.get("InputTemplate"), str):
                raise TransformError("InputTransformer.InputTemplate is required")
            raw = it.get("InputPathsMap") or {}
            if not isinstance(raw, dict) or len(raw) > 100:
                raise TransformError("InputTransformer.InputPathsMap must map at most 100 names to JSONPaths")
            paths = {}
            for name, p in raw.items():
                if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
                    raise TransformError(f"InputTransformer.InputPathsMap: {name!r} is not a valid name")
                if name in RESERVED or name.startswith("aws."):
                    raise TransformError(f"InputTransformer.InputPathsMap: {name!r} is a reserved name")
                paths[name] = check_path(p, f"InputTransformer.InputPathsMap.{name}")
            for name in placeholders(it["InputTemplate"]):
                if name not in paths and name not in RESERVED:
                    raise TransformError(
                        f"InputTemplate for target {target.get('Id')} contains invalid placeholder {name}."
                    )
            return cls(paths=paths, template=it["InputTemplate"])
        return cls()

    def apply(self, event: dict[str, Any], rule_arn: str = "", rule_name: str = "", ingestion_time: str = "") -> str:
        """The body the target receives. Raises ``TransformError`` when a
        JSON template cannot give valid JSON (an object or a list inside a
        quoted string): AWS does not deliver such an event."""
        if self.input is not None:
            return self.input
        if self.input_path is not None:
            v = select_path(event, self.input_path)
            return "null" if v is _MISSING else json.dumps(v)
        if self.template is None:
            return json.dumps(event)
        values: dict[str, Any] = {name: select_path(event, steps) for name, steps in (self.paths or {}).items()}
        values["aws.events.rule-arn"] = rule_arn
        values["aws.events.rule-name"] = rule_name
        values["aws.events.event.ingestion-time"] = ingestion_time
        values["aws.events.event"] = _short_event(event)
        values["aws.events.event.json"] = event
        return render(self.template, values)


def placeholders(template: str) -> list[str]:
    return [m.group(1) for m in _NAME.finditer(template)]


def _short_event(event: dict[str, Any]) -> dict[str, Any]:
    """``<aws.events.event>``: the envelope without ``detail``, with
    ``detailType`` (as AWS renders it; ``<aws.events.event.json>`` is the
    whole event)."""
    keys = ("id", "account", "detail-type", "time", "source", "region", "resources", "version")
    return {("detailType" if k == "detail-type" else k): event[k] for k in keys if k in event}


def render(template: str, values: dict[str, Any]) -> str:
    stripped = template.strip()
    kind = "string" if stripped[:1] == '"' else "json" if stripped[:1] in ("{", "[") else "text"
    out: list[str] = []
    pos = 0
    in_string = False
    for m in _NAME.finditer(template):
        chunk = template[pos : m.start()]
        if kind != "text":
            in_string = _string_state(chunk, in_string)
        out.append(chunk)
        name = m.group(1)
        if name not in values:
            out.append(m.group(0))
        else:
            out.append(_value_text(values[name], kind, in_string))
        pos = m.end()
    out.append(template[pos:])
    result = "".join(out)
    if kind == "json":
        try:
            json.loads(result)
        except ValueError:
            raise TransformError("InputTemplate does not give valid JSON for this event") from None
    return result


def _string_state(chunk: str, in_string: bool) -> bool:
    escaped = False
    for ch in chunk:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            in_string = not in_string
    return in_string


def _bare(v: Any) -> str:
    """A value inside a string, as AWS writes it: strings as they are,
    objects and lists as JSON without quotes (``{a:1,b:x}``, ``[A,B]``)."""
    if v is _MISSING:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":")).replace('"', "")
    return json.dumps(v)


def _value_text(v: Any, kind: str, in_string: bool) -> str:
    if kind == "text":
        return "" if v is None else _bare(v)
    if in_string:
        if kind == "json" and isinstance(v, (dict, list)):
            raise TransformError("InputTemplate puts an object or a list inside a JSON string")
        return json.dumps(_bare(v))[1:-1]
    if v is _MISSING:
        return '""'
    return json.dumps(v)
