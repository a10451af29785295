"""Pure parts of the notifications service (formatting, templates, policy, channels): no nameko, no database."""
