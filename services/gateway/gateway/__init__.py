"""The HTTP gateway: the only entry for the web frontend (JSON REST under /v1)."""
