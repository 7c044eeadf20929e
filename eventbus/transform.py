"""What a target receives: the whole event, ``Input`` (a constant),
``InputPath`` (a JSONPath into the event) or ``InputTransformer``
(``InputPathsMap`` + ``InputTemplate``), as the EventBridge user guide
("Input transformation") defines them.

Template rules: ``<name>`` is replaced by the value its path selects;
inside a JSON string a string value goes in without its quotes, elsewhere
the value goes in as JSON; in a template that is not JSON (plain text) values
go in as text. A path that selects nothing gives ``null`` (JSON) or an empty
string (text). Predefined names: ``aws.events.rule-arn``,
``aws.events.rule-name``, ``aws.events.event.ingestion-time``,
``aws.events.event`` and ``aws.events.event.json`` (the original event).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_MISSING = object()
_STEP = re.compile(r"\.([A-Za-z0-9_\-$@]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")
_NAME = re.compile(r"<([A-Za-z0-9_.\-]+)>")
RESERVED = ("aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time", "aws.events.event", "aws.events.event.json")


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
        steps.append(int(index) if index is not None else (name if name is not None else (q1 if q1 is not None else q2)))
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
    input_path: list | None = None
    paths: dict[str, list] | None = None
    template: str | None = None

    @classmethod
    def from_target(cls, target: dict) -> "Transform":
        given = [k for k in ("Input", "InputPath", "InputTransformer") if target.get(k) is not None]
        if len(given) > 1:
            raise TransformError(f"Only one of Input, InputPath, or InputTransformer may be set (target {target.get('Id')!r} sets {given})")
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
                if name in RESERVED or name.startswith("aws."):
                    raise TransformError(f"InputTransformer.InputPathsMap: {name!r} is a reserved name")
                paths[name] = check_path(p, f"InputTransformer.InputPathsMap.{name}")
            return cls(paths=paths, template=it["InputTemplate"])
        return cls()

    def apply(self, event: dict, rule_arn: str = "", rule_name: str = "", ingestion_time: str = "") -> str:
        """The body the target receives (JSON text, or plain text)."""
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
        values["aws.events.event"] = event
        values["aws.events.event.json"] = event
        return render(self.template, values)


def render(template: str, values: dict[str, Any]) -> str:
    stripped = template.strip()
    as_json = stripped[:1] in ("{", "[", '"')
    out: list[str] = []
    pos = 0
    in_string = False
    for m in _NAME.finditer(template):
        chunk = template[pos : m.start()]
        if as_json:
            in_string = _string_state(chunk, in_string)
        out.append(chunk)
        name = m.group(1)
        if name not in values:
            out.append(m.group(0))
        else:
            out.append(_value_text(values[name], as_json, in_string))
        pos = m.end()
    out.append(template[pos:])
    return "".join(out)


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


def _value_text(v: Any, as_json: bool, in_string: bool) -> str:
    if not as_json:
        if v is _MISSING or v is None:
            return ""
        return v if isinstance(v, str) else json.dumps(v)
    if v is _MISSING:
        v = None
    if in_string:
        text = v if isinstance(v, str) else json.dumps(v)
        return json.dumps(text)[1:-1]
    return json.dumps(v)
