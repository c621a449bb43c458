"""Credential checks shared by the server (its own clients' bearer tokens) and the engine (auth tasks).

Both verify JWTs with the same key handling, so it lives below both layers; nothing here knows HTTP, the engine
or the server.
"""
