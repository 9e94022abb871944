"""Side effects of the data stream done once: one marker item per effect, written after it.

The data-sync function publishes notifications and sends customer e-mail from stream records,
which arrive at least once. Each effect has an id derived only from what it is about (tenant,
order, event), and both go the same way:

1. read the id's marker (consistent read); when it exists, the effect was done: do nothing;
2. do the effect (SNS `Publish`, SES `SendEmail`);
3. write the marker (one `PutItem`, with a TTL longer than a stream record can be retried).

An effect that raises writes no marker, so the retried record does it then: nothing is lost. If the
function dies between 2 and 3, the retried record does the effect again: the guarantee is *at
least once, and exactly once unless the function dies in the window between the effect and one
DynamoDB write*. Keeping that window small is the caller's part: everything the effect needs is
prepared before step 1, and nothing but the marker follows the effect.

A concurrent second attempt at the same effect (which an in-progress record would refuse) does
not happen: an order's records arrive in order on one shard, handled one at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Stream records live 24 hours and are retried for at most that long: keep the markers longer.
MARKER_TTL_S = 7 * 24 * 3600
# The idempotency table's key and TTL attributes (infra/tables.py).
_KEY_ATTRIBUTE = "id"
_EXPIRY_ATTRIBUTE = "expiration"


@dataclass(frozen=True)
class Sent:
    """What the marker of a done effect recorded."""

    message_id: str | None  # the id the service gave the message (SNS MessageId, SES MessageId)


class SentMarkers:
    """Markers of one kind of effect (`id = <kind>#<effect id>` on the idempotency table).

    `clock` gives epoch seconds; markers past their expiry count as absent.
    """

    def __init__(
        self,
        client: Any,
        table: str,
        kind: str,
        *,
        expires_after_seconds: int = MARKER_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table = table
        self._kind = kind
        self._expires_after = expires_after_seconds
        self._clock = clock

    def sent(self, effect_id: str) -> Sent | None:
        """The marker of the effect, or None when it was never (or not yet) done."""
        response = self._client.get_item(
            TableName=self._table, Key={_KEY_ATTRIBUTE: {"S": self._key(effect_id)}}, ConsistentRead=True
        )
        raw = response.get("Item")
        if not raw or int(raw.get(_EXPIRY_ATTRIBUTE, {}).get("N", "0")) < self._clock():
            return None
        return Sent(message_id=raw.get("messageId", {}).get("S"))

    def mark(self, effect_id: str, message_id: str | None) -> None:
        """Record the effect as done (after it was)."""
        item = {
            _KEY_ATTRIBUTE: {"S": self._key(effect_id)},
            _EXPIRY_ATTRIBUTE: {"N": str(int(self._clock()) + self._expires_after)},
        }
        if message_id:
            item["messageId"] = {"S": message_id}
        self._client.put_item(TableName=self._table, Item=item)

    def _key(self, effect_id: str) -> str:
        return f"{self._kind}#{effect_id}"
