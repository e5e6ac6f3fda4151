"""Security building blocks shared by the HTTP and WebSocket adapters:
per-frame request ids (:mod:`.request_id`), account lockout with back-off
(:mod:`.lockout`) and second-factor time steps (:mod:`.totp`); the lockout
records and used steps are kept in storage, shared by every instance. Data at
rest: private file modes of the data directory (:mod:`.files`) and the key
that seals TOTP secrets in the database (:mod:`.totp_key`)."""
