"""Adapters between the engine's ports and the outside world (outbound HTTP)."""
