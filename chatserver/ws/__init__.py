"""The WebSocket side: thin adapters for the patient and staff sockets
(:mod:`.patient`, :mod:`.staff`), the frame shapes (:mod:`.wire`) and this
process's live connections with their outboxes (:mod:`.hub`)."""
