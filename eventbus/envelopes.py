"""Contact-event batches as EventBridge envelopes.

The one place eventbus reads the event format: when the format moves to
``eventlog``, only the import below changes."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from eventlog.envelopes import iter_envelopes
from eventlog.schema import RunMeta, decode_batch

__all__ = ["envelopes_of"]


def envelopes_of(
    batch: pa.RecordBatch, *, region: str = "us-east-1", account: str = "111122223333"
) -> list[dict[str, Any]]:
    """Envelopes of one batch, in the batch's (simulated-time) order."""
    if any(pa.types.is_dictionary(f.type) for f in batch.schema):
        batch = decode_batch(batch)
    # Envelopes take only the account and region from the run's metadata.
    meta = RunMeta(campaign_id="", instance_id="", start_epoch_ms=0, account=account, region=region)
    return list(iter_envelopes(pa.Table.from_batches([batch]), meta))
