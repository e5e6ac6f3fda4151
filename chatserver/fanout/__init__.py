"""Delivery of frames to connections on this instance (:mod:`.local`) or on
every instance through Redis pub/sub (:mod:`.redis_pubsub`); the wiring
(:mod:`chatserver.app`) chooses one."""
