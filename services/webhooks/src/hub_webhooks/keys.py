"""The service's Redis layout: every key lives under `{namespace}wh:`.

| key | type | content |
| --- | --- | --- |
| `wh:acct:{account_id}:secret` | string | the account's `whsec_…` secret for callback URLs |
| `wh:ep:{endpoint_id}` | string | JSON `EndpointRecord` (with its secrets) |
| `wh:acct:{account_id}:eps` | zset | endpoint ids of the account, by creation time (ms) |
| `wh:evt:{event_id}` | string | fan-out marker of a consumed event (TTL): never fanned out twice |
| `wh:dlv:{delivery_id}` | hash | one message to one destination: body, status, schedule, lease |
| `wh:dlv:{delivery_id}:att` | list | JSON of every attempt, oldest first |
| `wh:due` | zset | delivery ids waiting for an attempt, by due time (ms) |
| `wh:leases` | zset | delivery ids being attempted, by lease expiry (ms) |
| `wh:dest:{dest}` | hash | destination state: breaker, token bucket, limits |
| `wh:slots:{dest}` | zset | in-flight delivery ids of a destination, by lease expiry (ms) |
| `wh:wait:{dest}` | zset | due deliveries parked while their destination is at its concurrency cap |
| `wh:idx:acct:{account_id}` | zset | delivery ids of an account, by creation (ms) |
| `wh:idx:asmt:{assessment_id}` | zset | delivery ids of an assessment |
| `wh:idx:ep:{endpoint_id}` | zset | delivery ids of an endpoint (callback URLs: `cb_…` destination ids) |
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WebhookKeys:
    namespace: str = ""

    @property
    def prefix(self) -> str:
        return f"{self.namespace}wh:"

    def account_secret(self, account_id: str) -> str:
        return f"{self.prefix}acct:{account_id}:secret"

    def endpoint(self, endpoint_id: str) -> str:
        return f"{self.prefix}ep:{endpoint_id}"

    def account_endpoints(self, account_id: str) -> str:
        return f"{self.prefix}acct:{account_id}:eps"

    def event_marker(self, event_id: str) -> str:
        return f"{self.prefix}evt:{event_id}"

    def delivery(self, delivery_id: str) -> str:
        return f"{self.prefix}dlv:{delivery_id}"

    def attempts(self, delivery_id: str) -> str:
        return f"{self.prefix}dlv:{delivery_id}:att"

    @property
    def due(self) -> str:
        return f"{self.prefix}due"

    @property
    def leases(self) -> str:
        return f"{self.prefix}leases"

    def destination(self, dest: str) -> str:
        return f"{self.prefix}dest:{dest}"

    def slots(self, dest: str) -> str:
        return f"{self.prefix}slots:{dest}"

    def waiting(self, dest: str) -> str:
        return f"{self.prefix}wait:{dest}"

    def account_index(self, account_id: str) -> str:
        return f"{self.prefix}idx:acct:{account_id}"

    def assessment_index(self, assessment_id: str) -> str:
        return f"{self.prefix}idx:asmt:{assessment_id}"

    def endpoint_index(self, endpoint_id: str) -> str:
        return f"{self.prefix}idx:ep:{endpoint_id}"
