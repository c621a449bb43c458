"""The inbound edge: one fixed URL per gateway, and the inbound log operators read and replay from."""

from journeys.server.inbound.routes import add_inbound_routes

__all__ = ["add_inbound_routes"]
