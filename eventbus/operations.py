"""The EventBridge operations (``AWSEvents.<Operation>``), framework-free:
a request body in, a response body out, ``EventsError`` with AWS's error
names. The HTTP layer (api/routes_events.py) only authenticates and
frames them. Buses, rules, targets and events here; connections and API
destinations in ``ops_http``, archives and replays in ``ops_archive``."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from eventbus.bus import Chaos
from eventbus.evaluate import matches
from eventbus.jsonvalues import loads
from eventbus.ops_archive import ArchiveOps
from eventbus.ops_common import (
    BUS_NAME,
    NAME,
    EventsError,
    check_name,
    compile_or_raise,
    not_found,
    page,
    pattern_text,
    validation,
)
from eventbus.ops_http import ConnectionOps
from eventbus.runtime import ServerRuntime, account_of, bus_arn, destination_by_arn
from eventbus.targets import TargetError, kind_of
from eventbus.transform import Transform, TransformError

EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")
MAX_TARGETS_PER_RULE = 5  # EventBridge quota
MAX_PUT_EVENTS_BYTES = 256 * 1024

__all__ = ["EventsError", "Operations"]


class Operations(ConnectionOps, ArchiveOps):
    """One tenant's view of the service's buses."""

    def __init__(self, runtime: ServerRuntime, tenant: str, *, can_manage: bool = True):
        self.rt = runtime
        self.store = runtime.store
        self.tenant = tenant
        self.region = runtime.config.region
        self.account = account_of(tenant)
        self.can_manage = can_manage

    # -- plumbing -----------------------------------------------------------
    READ_ONLY: ClassVar[set[str]] = {
        "DescribeEventBus",
        "ListEventBuses",
        "DescribeRule",
        "ListRules",
        "ListTargetsByRule",
        "TestEventPattern",
        "DescribeConnection",
        "ListConnections",
        "DescribeApiDestination",
        "ListApiDestinations",
        "DescribeArchive",
        "ListArchives",
        "DescribeReplay",
        "ListReplays",
        "ListRuleNamesByTarget",
    }

    @classmethod
    def operation_names(cls) -> list[str]:
        """The AWS operations served (``op_put_rule`` -> ``PutRule``), not the
        simulator's own ``PutBusSettings``."""
        names = ["".join(w.title() for w in n[3:].split("_")) for n in dir(cls) if n.startswith("op_")]
        return [n for n in names if n != "PutBusSettings"]

    def call(self, op: str, body: dict[str, Any]) -> dict[str, Any]:
        fn: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(
            self, "op_" + re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower(), None
        )
        if fn is None:
            raise EventsError("UnknownOperationException", f"Operation {op} is not supported by this service")
        if op not in self.READ_ONLY and not self.can_manage:
            raise EventsError("AccessDeniedException", f"role may not call {op}; a manager key is needed")
        return fn(body)

    def _bus_body(self, name: str) -> dict[str, Any]:
        if name == "default":
            stored = self.store.get(tenant=self.tenant, kind="bus", name="default") or {}
            return {"Name": "default", "Arn": bus_arn(self.region, self.account, "default"), **stored}
        body = self.store.get(tenant=self.tenant, kind="bus", name=name)
        if body is None:
            raise not_found(f"Event bus {name} does not exist.")
        return body

    # -- buses --------------------------------------------------------------
    def op_create_event_bus(self, body: dict[str, Any]) -> dict[str, Any]:
        name = check_name(body, "Name", BUS_NAME)
        if name == "default" or name.startswith("aws."):
            raise validation(f"Event bus name {name!r} is reserved")
        arn = bus_arn(self.region, self.account, name)
        now = time.time()
        rec = {
            "Name": name,
            "Arn": arn,
            "Description": body.get("Description"),
            "CreationTime": now,
            "LastModifiedTime": now,
        }
        if body.get("DeadLetterConfig"):
            rec["DeadLetterConfig"] = body["DeadLetterConfig"]
        if not self.store.insert(
            tenant=self.tenant, kind="bus", name=name, body={k: v for k, v in rec.items() if v is not None}
        ):
            raise EventsError("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
        out = {"EventBusArn": arn}
        if body.get("Description"):
            out["Description"] = body["Description"]
        return out

    def op_describe_event_bus(self, body: dict[str, Any]) -> dict[str, Any]:
        name = self._bus_name(body, "Name")
        b = self._bus_body(name)
        out = {"Name": name, "Arn": b["Arn"]}
        for k in ("Description", "CreationTime", "LastModifiedTime", "DeadLetterConfig"):
            if b.get(k) is not None:
                out[k] = b[k]
        return out

    def op_list_event_buses(self, body: dict[str, Any]) -> dict[str, Any]:
        prefix = body.get("NamePrefix") or ""
        buses = [{"Name": "default", "Arn": bus_arn(self.region, self.account, "default")}]
        for _, name, b in self.store.list(tenant=self.tenant, kind="bus"):
            if name != "default":
                buses.append(
                    {
                        k: b[k]
                        for k in ("Name", "Arn", "Description", "CreationTime", "LastModifiedTime")
                        if b.get(k) is not None
                    }
                )
        buses = [b for b in buses if b["Name"].startswith(prefix)]
        return page(body, "EventBuses", buses)

    def op_delete_event_bus(self, body: dict[str, Any]) -> dict[str, Any]:
        name = check_name(body, "Name", BUS_NAME)
        if name == "default":
            raise validation("Cannot delete event bus default.")
        if self.store.delete(tenant=self.tenant, kind="bus", name=name):
            for _, rule, _b in self.store.list(tenant=self.tenant, kind="rule", parent=name):
                self.store.delete_children(tenant=self.tenant, kind="target", parent=f"{name}/{rule}")
            self.store.delete_children(tenant=self.tenant, kind="rule", parent=name)
            self.rt.forget(self.tenant, name)
        return {}

    def op_put_bus_settings(self, body: dict[str, Any]) -> dict[str, Any]:
        """Not an AWS operation: the simulator's bus settings (``speed``,
        ``chaos``), also reachable as ``PUT /sim/eventbus/buses/{name}/settings``."""
        name = self._bus_name(body, "Name")
        settings = body.get("Settings") or {}
        speed = settings.get("speed")
        if speed is not None and (isinstance(speed, bool) or not isinstance(speed, (int, float)) or not speed > 0):
            raise validation(f"Settings.speed must be a number > 0, got {speed!r}")
        try:
            Chaos.from_json(settings.get("chaos"))
        except (TypeError, ValueError) as exc:
            raise validation(f"Settings.chaos: {exc}") from None
        rec = self._bus_body(name)
        rec["Settings"] = {k: v for k, v in settings.items() if k in ("speed", "chaos")}
        self.store.put(tenant=self.tenant, kind="bus", name=name, body=rec)
        self.rt.forget(self.tenant, name)
        return {"Settings": rec["Settings"]}

    # -- rules --------------------------------------------------------------
    def _rule(self, bus: str, name: str) -> dict[str, Any]:
        r = self.store.get(tenant=self.tenant, kind="rule", parent=bus, name=name)
        if r is None:
            raise not_found(f"Rule {name} does not exist on EventBus {bus}.")
        return r

    def _rule_arn(self, bus: str, name: str) -> str:
        return self._arn("rule", name if bus == "default" else f"{bus}/{name}")

    def op_put_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        name = check_name(body, "Name")
        bus = self._bus_name(body)
        pattern = body.get("EventPattern")
        if pattern is None and not body.get("ScheduleExpression"):
            raise validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if body.get("ScheduleExpression"):
            raise validation("ScheduleExpression is not supported by this simulator (rules match events only)")
        state = body.get("State") or "ENABLED"
        if state not in ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"):
            raise validation(f"State: {state!r} is not ENABLED or DISABLED")
        rec = self.store.get(tenant=self.tenant, kind="rule", parent=bus, name=name) or {}
        rec.update(
            Name=name,
            Arn=self._rule_arn(bus, name),
            EventPattern=pattern_text(pattern),
            State=state,
            EventBusName=bus,
            CreatedBy=self.account,
        )
        if body.get("Description") is not None:
            rec["Description"] = body["Description"]
        self.store.put(tenant=self.tenant, kind="rule", parent=bus, name=name, body=rec)
        self.rt.changed(self.tenant, bus)
        return {"RuleArn": rec["Arn"]}

    def op_describe_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = self._bus_name(body)
        return self._rule(bus, check_name(body, "Name"))

    def op_list_rules(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = self._bus_name(body)
        rules = [
            b for _, n, b in self.store.list(tenant=self.tenant, kind="rule", parent=bus, prefix=body.get("NamePrefix"))
        ]
        return page(body, "Rules", rules)

    def _set_state(self, body: dict[str, Any], state: str) -> dict[str, Any]:
        bus = self._bus_name(body)
        name = check_name(body, "Name")
        rec = self._rule(bus, name)
        rec["State"] = state
        self.store.put(tenant=self.tenant, kind="rule", parent=bus, name=name, body=rec)
        self.rt.changed(self.tenant, bus)
        return {}

    def op_enable_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(body, "ENABLED")

    def op_disable_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(body, "DISABLED")

    def op_delete_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = self._bus_name(body)
        name = check_name(body, "Name")
        if self.store.get(tenant=self.tenant, kind="rule", parent=bus, name=name) is None:
            return {}
        parent = f"{bus}/{name}"
        if self.store.count(tenant=self.tenant, kind="target", parent=parent):
            if not body.get("Force"):
                raise validation("Rule can't be deleted since it has targets.")
            self.store.delete_children(tenant=self.tenant, kind="target", parent=parent)
        self.store.delete(tenant=self.tenant, kind="rule", parent=bus, name=name)
        self.rt.changed(self.tenant, bus)
        return {}

    # -- targets ------------------------------------------------------------
    def _check_target(self, t: Any) -> str | None:
        if not isinstance(t, dict) or not isinstance(t.get("Id"), str) or not NAME.match(t.get("Id", "")):
            return "Target Id must be 1-64 characters of letters, digits, '.', '-', '_'"
        try:
            kind = kind_of(t.get("Arn"))
            if kind == "callable":
                return f"Arn: {t['Arn']!r}: callable targets exist only on in-process buses"
            if kind == "http" and destination_by_arn(self.store, self.tenant, t["Arn"]) is None:
                return f"Arn: API destination {t['Arn']} does not exist"
            dlq = (t.get("DeadLetterConfig") or {}).get("Arn")
            if dlq is not None and kind_of(dlq) == "callable":
                return "DeadLetterConfig.Arn: callable targets exist only on in-process buses"
        except TargetError as exc:
            return str(exc)
        try:
            Transform.from_target(t)
        except TransformError as exc:
            raise validation(str(exc)) from None  # AWS refuses the whole call
        rp = t.get("RetryPolicy") or {}
        n = rp.get("MaximumRetryAttempts", 185)
        age = rp.get("MaximumEventAgeInSeconds", 86400)
        if not isinstance(n, int) or not 0 <= n <= 185:
            return f"RetryPolicy.MaximumRetryAttempts must be 0..185, got {n!r}"
        if not isinstance(age, int) or not 60 <= age <= 86400:
            return f"RetryPolicy.MaximumEventAgeInSeconds must be 60..86400, got {age!r}"
        return None

    def op_put_targets(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = self._bus_name(body)
        rule = check_name(body, "Rule")
        self._rule(bus, rule)
        targets = body.get("Targets")
        if not isinstance(targets, list) or not 1 <= len(targets) <= 10:
            raise validation("Targets must be a list of 1 to 10 targets")
        for i, t in enumerate(targets, 1):
            tid = t.get("Id") if isinstance(t, dict) else None
            if not isinstance(tid, str) or not re.fullmatch(r"[\.\-_A-Za-z0-9]+", tid):
                raise validation(
                    f"1 validation error detected: Value {tid!r} at 'targets.{i}.member.id' failed to satisfy constraint: "
                    "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"
                )
            if len(tid) > 64:
                raise validation(
                    f"1 validation error detected: Value {tid!r} at 'targets.{i}.member.id' failed to satisfy constraint: "
                    "Member must have length less than or equal to 64"
                )
        parent = f"{bus}/{rule}"
        existing = {n for _, n, _b in self.store.list(tenant=self.tenant, kind="target", parent=parent)}
        if len(existing | {t["Id"] for t in targets}) > MAX_TARGETS_PER_RULE:
            raise EventsError("LimitExceededException", "The requested resource exceeds the maximum number allowed.")
        failed = []
        for t in targets:
            problem = self._check_target(t)
            if problem:
                failed.append(
                    {
                        "TargetId": (t or {}).get("Id") if isinstance(t, dict) else None,
                        "ErrorCode": "ValidationException",
                        "ErrorMessage": problem,
                    }
                )
                continue
            self.store.put(tenant=self.tenant, kind="target", parent=f"{bus}/{rule}", name=t["Id"], body=t)
        self.rt.changed(self.tenant, bus)
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    def op_remove_targets(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = self._bus_name(body)
        rule = check_name(body, "Rule")
        self._rule(bus, rule)
        failed = []
        for tid in body.get("Ids") or []:
            if not self.store.delete(tenant=self.tenant, kind="target", parent=f"{bus}/{rule}", name=str(tid)):
                failed.append(
                    {
                        "TargetId": tid,
                        "ErrorCode": "ResourceNotFoundException",
                        "ErrorMessage": f"Target {tid} does not exist",
                    }
                )
        self.rt.changed(self.tenant, bus)
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    def op_list_targets_by_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = self._bus_name(body)
        rule = check_name(body, "Rule")
        self._rule(bus, rule)
        targets = [b for _, _, b in self.store.list(tenant=self.tenant, kind="target", parent=f"{bus}/{rule}")]
        return page(body, "Targets", targets)

    def op_list_rule_names_by_target(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = self._bus_name(body)
        arn = body.get("TargetArn")
        if not isinstance(arn, str) or not arn:
            raise validation("TargetArn is required")
        names = sorted(
            {
                parent.split("/", 1)[1]
                for parent, _, t in self.store.list(tenant=self.tenant, kind="target")
                if parent.split("/", 1)[0] == bus and t.get("Arn") == arn
            }
        )
        return page(body, "RuleNames", names)

    # -- events -------------------------------------------------------------
    def op_test_event_pattern(self, body: dict[str, Any]) -> dict[str, Any]:
        pattern = compile_or_raise(body.get("EventPattern"))
        raw = body.get("Event")
        try:
            event = loads(raw) if isinstance(raw, str) else None
        except ValueError:
            event = None
        if not isinstance(event, dict) or any(f not in event for f in EVENT_FIELDS):
            raise validation("Parameter Event is not valid.")
        return {"Result": matches(pattern, event)}

    def op_put_events(self, body: dict[str, Any]) -> dict[str, Any]:
        entries = body.get("Entries")
        if not isinstance(entries, list) or not 1 <= len(entries) <= 10:
            raise validation("Entries must be a list of 1 to 10 entries")
        if len(json.dumps(entries)) > MAX_PUT_EVENTS_BYTES:
            raise validation("Total size of the entries in the request is over the limit.")
        for e in entries:
            if isinstance(e, dict):
                self._bus_name(e)  # an unknown bus fails the whole call, as on AWS
        out = []
        by_bus: dict[str, list[dict[str, Any]]] = {}
        for e in entries:
            try:
                event, bus = self._envelope(e)
            except EventsError as exc:
                out.append({"ErrorCode": exc.code, "ErrorMessage": exc.message})
                continue
            by_bus.setdefault(bus, []).append(event)
            out.append({"EventId": event["id"]})
        for bus, events in by_bus.items():
            self.rt.bus(self.tenant, bus).publish_many(events)
        return {"FailedEntryCount": sum(1 for o in out if "ErrorCode" in o), "Entries": out}

    def _envelope(self, e: Any) -> tuple[dict[str, Any], str]:
        if not isinstance(e, dict):
            raise validation("entry is not an object")
        for f in ("Source", "DetailType", "Detail"):
            if not e.get(f):
                raise EventsError("InvalidArgument", f"Parameter {f} is not valid. Reason: {f} is a required argument.")
        try:
            detail = json.loads(e["Detail"])
        except (TypeError, ValueError):
            raise EventsError("MalformedDetail", "Detail is malformed.") from None
        if not isinstance(detail, dict):
            raise EventsError("MalformedDetail", "Detail is malformed.")
        bus = self._bus_name(e)
        when = e.get("Time")
        if when is not None and (isinstance(when, bool) or not isinstance(when, (int, float))):
            raise EventsError("InvalidArgument", f"Parameter Time is not valid: {when!r} is not a timestamp")
        t = datetime.fromtimestamp(float(when), tz=UTC) if when is not None else datetime.now(UTC)
        return (
            {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": e["DetailType"],
                "source": e["Source"],
                "account": self.account,
                "time": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": self.region,
                "resources": list(e.get("Resources") or []),
                "detail": detail,
            },
            bus,
        )
