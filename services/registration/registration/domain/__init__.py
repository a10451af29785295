"""Pure domain rules of the registration service: no I/O, no framework, easy to unit-test."""
