"""Contracts: OpenAPI and Arazzo export of journeys, and the Arazzo contract runner."""
