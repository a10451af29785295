"""Pure domain rules of the meetings service: no I/O, no framework, easy to unit-test."""
