"""Channel-shift and operations statistics (docs/statistics.md).

Pure computations (:mod:`.timebuckets`, :mod:`.percentiles`, :mod:`.channel_shift`,
:mod:`.operations`, :mod:`.concurrency`, :mod:`.visits_import`) are kept apart
from the store (:mod:`.store`, :mod:`.sqlite_store`) and the adapters
(:mod:`.http`, :mod:`.feature`, :mod:`.cli`).
"""

from .channel_shift import ChannelBucket, ChatCounts, build_buckets, chat_share
from .query import Period
from .service import channel_shift, operations
from .store import ContactFilter, StatsStore, store_for

__all__ = [
    "ChannelBucket",
    "ChatCounts",
    "ContactFilter",
    "Period",
    "StatsStore",
    "build_buckets",
    "channel_shift",
    "chat_share",
    "operations",
    "store_for",
]
