"""EventBridge connections and API destinations (HTTP targets): the
connection holds the auth (API key or basic), the destination the endpoint
and method."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from eventbus.ops_common import EventsError, OpsBase, check_name, not_found, page, validation


class ConnectionOps(OpsBase):
    """Mixed into ``Operations`` (uses its store, tenant and ARNs)."""

    def op_create_connection(self, body: dict[str, Any]) -> dict[str, Any]:
        name = check_name(body, "Name")
        kind = body.get("AuthorizationType")
        auth = body.get("AuthParameters") or {}
        need = {
            "API_KEY": ("ApiKeyAuthParameters", ("ApiKeyName", "ApiKeyValue")),
            "BASIC": ("BasicAuthParameters", ("Username", "Password")),
        }
        if kind == "OAUTH_CLIENT_CREDENTIALS":
            raise validation(
                "AuthorizationType OAUTH_CLIENT_CREDENTIALS is not supported by this simulator (use API_KEY or BASIC)"
            )
        if kind not in need:
            raise validation(
                f"1 validation error detected: Value {kind!r} at 'authorizationType' failed to satisfy constraint: "
                "Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]"
            )
        section, fields = need[kind]
        params = auth.get(section) or {}
        for f in fields:
            if not isinstance(params.get(f), str) or not params[f]:
                raise validation(f"AuthParameters.{section}.{f} is required")
        now = time.time()
        arn = self._arn("connection", f"{name}/{uuid.uuid4()}")
        rec = {
            "Name": name,
            "ConnectionArn": arn,
            "ConnectionState": "AUTHORIZED",
            "AuthorizationType": kind,
            "AuthParameters": auth,
            "Description": body.get("Description"),
            "CreationTime": now,
            "LastModifiedTime": now,
            "LastAuthorizedTime": now,
        }
        if not self.store.insert(tenant=self.tenant, kind="connection", name=name, body=rec):
            raise EventsError("ResourceAlreadyExistsException", f"Connection {name} already exists.")
        return {k: rec[k] for k in ("ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime")}

    def _connection(self, name: str) -> dict[str, Any]:
        c = self.store.get(tenant=self.tenant, kind="connection", name=name)
        if c is None:
            raise not_found(f"Failed to describe the connection(s). Connection '{name}' does not exist.")
        return c

    @staticmethod
    def _public_connection(c: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in c.items() if v is not None and k != "AuthParameters"}
        auth = c.get("AuthParameters") or {}
        if "ApiKeyAuthParameters" in auth:
            out["AuthParameters"] = {"ApiKeyAuthParameters": {"ApiKeyName": auth["ApiKeyAuthParameters"]["ApiKeyName"]}}
        elif "BasicAuthParameters" in auth:
            out["AuthParameters"] = {"BasicAuthParameters": {"Username": auth["BasicAuthParameters"]["Username"]}}
        return out

    def op_describe_connection(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._public_connection(self._connection(check_name(body, "Name")))

    def op_list_connections(self, body: dict[str, Any]) -> dict[str, Any]:
        items = [
            {k: v for k, v in self._public_connection(b).items() if k != "AuthParameters"}
            for _, _, b in self.store.list(tenant=self.tenant, kind="connection", prefix=body.get("NamePrefix"))
        ]
        return page(body, "Connections", items)

    def op_delete_connection(self, body: dict[str, Any]) -> dict[str, Any]:
        c = self._connection(check_name(body, "Name"))
        self.store.delete(tenant=self.tenant, kind="connection", name=c["Name"])
        return {
            "ConnectionArn": c["ConnectionArn"],
            "ConnectionState": "DELETING",
            "CreationTime": c["CreationTime"],
            "LastModifiedTime": time.time(),
            "LastAuthorizedTime": c.get("LastAuthorizedTime", c["CreationTime"]),
        }

    def op_create_api_destination(self, body: dict[str, Any]) -> dict[str, Any]:
        name = check_name(body, "Name")
        conn_arn = body.get("ConnectionArn")
        conn_name = str(conn_arn).split(":connection/", 1)[-1].split("/", 1)[0]
        c = self.store.get(tenant=self.tenant, kind="connection", name=conn_name)
        if c is None or c["ConnectionArn"] != conn_arn:
            raise not_found(f"Connection '{conn_arn}' does not exist.")
        endpoint = body.get("InvocationEndpoint")
        if not isinstance(endpoint, str) or not re.match(r"^https?://", endpoint):
            raise validation(f"InvocationEndpoint: {endpoint!r} must be an http(s) URL")
        method = body.get("HttpMethod")
        if method not in ("POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"):
            raise validation(
                f"1 validation error detected: Value {method!r} at 'httpMethod' failed to satisfy constraint: "
                "Member must satisfy enum value set: [HEAD, POST, PATCH, DELETE, PUT, GET, OPTIONS]"
            )
        now = time.time()
        arn = self._arn("api-destination", f"{name}/{uuid.uuid4()}")
        rec = {
            "Name": name,
            "ApiDestinationArn": arn,
            "ApiDestinationState": "ACTIVE",
            "ConnectionArn": conn_arn,
            "InvocationEndpoint": endpoint,
            "HttpMethod": method,
            "InvocationRateLimitPerSecond": body.get("InvocationRateLimitPerSecond", 300),
            "Description": body.get("Description"),
            "CreationTime": now,
            "LastModifiedTime": now,
        }
        if not self.store.insert(
            tenant=self.tenant, kind="api-destination", name=name, body={k: v for k, v in rec.items() if v is not None}
        ):
            raise EventsError("ResourceAlreadyExistsException", f"An api-destination '{name}' already exists.")
        return {k: rec[k] for k in ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime")}

    def _destination(self, name: str) -> dict[str, Any]:
        d = self.store.get(tenant=self.tenant, kind="api-destination", name=name)
        if d is None:
            raise not_found(f"Failed to describe the api-destination(s). An api-destination '{name}' does not exist.")
        return d

    def op_describe_api_destination(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._destination(check_name(body, "Name"))

    def op_list_api_destinations(self, body: dict[str, Any]) -> dict[str, Any]:
        items = [
            b for _, _, b in self.store.list(tenant=self.tenant, kind="api-destination", prefix=body.get("NamePrefix"))
        ]
        return page(body, "ApiDestinations", items)

    def op_delete_api_destination(self, body: dict[str, Any]) -> dict[str, Any]:
        d = self._destination(check_name(body, "Name"))
        self.store.delete(tenant=self.tenant, kind="api-destination", name=d["Name"])
        return {}
