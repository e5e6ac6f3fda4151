"""Channel-shift and operations statistics (docs/statistics.md).

Pure computations (:mod:`.timebuckets`, :mod:`.percentiles`, :mod:`.channel_shift`,
:mod:`.operations`, :mod:`.concurrency`, :mod:`.visits_import`) are kept apart
from the store (:mod:`.store` over either engine, with the rollup of :mod:`.rollup`
and :mod:`.rollup_sql`) and the adapters (:mod:`.http`, :mod:`.feature`, :mod:`.cli`).
"""

from .channel_shift import ChannelBucket, ChatCounts, build_buckets, chat_share
from .query import Period
from .records import ContactFilter
from .service import channel_shift, operations
from .store import StatsStore

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
]
