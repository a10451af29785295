"""The integrations service's entrypoints, one module per feature, mixed into :class:`IntegrationsService`."""
