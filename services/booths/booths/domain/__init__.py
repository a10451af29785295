"""Pure domain rules of the booths service: no I/O, no framework, easy to unit-test."""
