"""The outside world, reached only through here: formats and protocols, no business rules."""
