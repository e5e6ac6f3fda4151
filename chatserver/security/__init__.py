"""Security building blocks shared by the HTTP and WebSocket adapters:
request ids, account lockout with back-off, connection caps."""
