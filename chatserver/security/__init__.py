"""Security building blocks shared by the HTTP and WebSocket adapters:
per-frame request ids (:mod:`.request_id`) and account lockout with back-off
(:mod:`.lockout`)."""
