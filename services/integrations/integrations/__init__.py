"""The integrations service: every province's public event history as an HTTP feed, and signed webhooks."""
