"""EventBridge archives (events kept in the database) and replays
(re-delivered to a bus's rules in a background thread)."""

from __future__ import annotations

import time
from typing import Any

from eventbus.ops_common import EventsError, OpsBase, check_name, not_found, page, pattern_text, validation


class ArchiveOps(OpsBase):
    """Mixed into ``Operations`` (uses its store, tenant, runtime and ARNs)."""

    def _bus_from_arn(self, arn: Any, field: str) -> str:
        prefix = f"arn:aws:events:{self.region}:{self.account}:event-bus/"
        if not isinstance(arn, str) or not arn.startswith(prefix):
            raise validation(f"{field}: {arn!r} is not an event bus ARN of this account")
        return self._bus_name({"EventBusName": arn[len(prefix) :]})

    def op_create_archive(self, body: dict[str, Any]) -> dict[str, Any]:
        name = check_name(body, "ArchiveName")
        source = body.get("EventSourceArn")
        bus = self._bus_from_arn(source, "EventSourceArn")
        pattern = body.get("EventPattern")
        if pattern is not None:
            pattern_text(pattern)
        now = time.time()
        rec = {
            "ArchiveName": name,
            "ArchiveArn": self._arn("archive", name),
            "EventSourceArn": source,
            "Description": body.get("Description"),
            "EventPattern": pattern,
            "State": "ENABLED",
            "RetentionDays": int(body.get("RetentionDays") or 0),
            "CreationTime": now,
        }
        if not self.store.insert(
            tenant=self.tenant, kind="archive", name=name, body={k: v for k, v in rec.items() if v is not None}
        ):
            raise EventsError("ResourceAlreadyExistsException", f"Archive {name} already exists.")
        self.rt.changed(self.tenant, bus)
        return {"ArchiveArn": rec["ArchiveArn"], "State": "ENABLED", "CreationTime": now}

    def _archive(self, name: str) -> dict[str, Any]:
        a = self.store.get(tenant=self.tenant, kind="archive", name=name)
        if a is None:
            raise not_found(f"Archive {name} does not exist.")
        n, size = self.store.archive_stats(tenant=self.tenant, archive=name)
        return {**a, "EventCount": n, "SizeBytes": size}

    def op_describe_archive(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._archive(check_name(body, "ArchiveName"))

    def op_list_archives(self, body: dict[str, Any]) -> dict[str, Any]:
        items = []
        for _, name, _b in self.store.list(tenant=self.tenant, kind="archive", prefix=body.get("NamePrefix")):
            a = self._archive(name)
            if body.get("EventSourceArn") and a["EventSourceArn"] != body["EventSourceArn"]:
                continue
            if body.get("State") and a["State"] != body["State"]:
                continue
            items.append(
                {
                    k: a[k]
                    for k in (
                        "ArchiveName",
                        "EventSourceArn",
                        "State",
                        "RetentionDays",
                        "SizeBytes",
                        "EventCount",
                        "CreationTime",
                    )
                    if k in a
                }
            )
        return page(body, "Archives", items)

    def op_delete_archive(self, body: dict[str, Any]) -> dict[str, Any]:
        a = self._archive(check_name(body, "ArchiveName"))
        self.store.delete(tenant=self.tenant, kind="archive", name=a["ArchiveName"])
        self.store.drop_archive(tenant=self.tenant, archive=a["ArchiveName"])
        self.rt.changed(self.tenant, a["EventSourceArn"].rsplit("event-bus/", 1)[-1])
        return {}

    def op_start_replay(self, body: dict[str, Any]) -> dict[str, Any]:
        name = check_name(body, "ReplayName")
        source = body.get("EventSourceArn")
        archive = str(source).rsplit("archive/", 1)[-1]
        if source != self._arn("archive", archive):
            raise validation(
                f"Parameter EventSourceArn is not valid. Reason: {source!r} is not an archive ARN of this account."
            )
        found = self.store.get(tenant=self.tenant, kind="archive", name=archive)
        if found is None:
            raise validation(f"Parameter EventSourceArn is not valid. Reason: Archive {archive} does not exist.")
        dest = body.get("Destination") or {}
        self._bus_from_arn(dest.get("Arn"), "Destination.Arn")
        if dest.get("Arn") != found["EventSourceArn"]:
            raise validation("Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.")
        start, end = body.get("EventStartTime"), body.get("EventEndTime")
        if not isinstance(start, (int, float)) or not isinstance(end, (int, float)):
            raise validation("EventStartTime and EventEndTime are required")
        if start >= end:
            raise validation("Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.")
        now = time.time()
        rec = {
            "ReplayName": name,
            "ReplayArn": self._arn("replay", name),
            "Description": body.get("Description"),
            "State": "STARTING",
            "EventSourceArn": source,
            "Destination": dest,
            "EventStartTime": start,
            "EventEndTime": end,
            "ReplayStartTime": now,
        }
        if not self.store.insert(
            tenant=self.tenant, kind="replay", name=name, body={k: v for k, v in rec.items() if v is not None}
        ):
            raise EventsError("ResourceAlreadyExistsException", f"Replay {name} already exists.")
        self.rt.start_replay(self.tenant, name)
        return {"ReplayArn": rec["ReplayArn"], "State": "STARTING", "ReplayStartTime": now}

    def _replay(self, name: str) -> dict[str, Any]:
        r = self.store.get(tenant=self.tenant, kind="replay", name=name)
        if r is None:
            raise not_found(f"Replay {name} does not exist.")
        return r

    def op_describe_replay(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._replay(check_name(body, "ReplayName"))

    def op_list_replays(self, body: dict[str, Any]) -> dict[str, Any]:
        items = []
        for _, _, r in self.store.list(tenant=self.tenant, kind="replay", prefix=body.get("NamePrefix")):
            if body.get("State") and r.get("State") != body["State"]:
                continue
            if body.get("EventSourceArn") and r.get("EventSourceArn") != body["EventSourceArn"]:
                continue
            items.append(
                {
                    k: r[k]
                    for k in (
                        "ReplayName",
                        "EventSourceArn",
                        "State",
                        "StateReason",
                        "EventStartTime",
                        "EventEndTime",
                        "EventLastReplayedTime",
                        "ReplayStartTime",
                        "ReplayEndTime",
                    )
                    if k in r
                }
            )
        return page(body, "Replays", items)

    def op_cancel_replay(self, body: dict[str, Any]) -> dict[str, Any]:
        r = self._replay(check_name(body, "ReplayName"))
        if r.get("State") not in ("STARTING", "RUNNING"):
            raise EventsError(
                "IllegalStatusException", f"Replay {r['ReplayName']} is not running (state {r.get('State')})."
            )
        self.rt.cancel_replay(self.tenant, r["ReplayName"])
        return {"ReplayArn": r["ReplayArn"], "State": "CANCELLING"}
