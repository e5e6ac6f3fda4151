"""Security building blocks shared by the HTTP and WebSocket adapters:
per-frame request ids (:mod:`.request_id`), account lockout with back-off
(:mod:`.lockout`) and second-factor time steps (:mod:`.totp`); the lockout
records and used steps are kept in storage, shared by every instance."""
