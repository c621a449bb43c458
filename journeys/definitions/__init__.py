"""Journey definitions: loading and validating `*.journey.yaml` files into the compiled model."""

from journeys.definitions.errors import DefinitionError, DefinitionErrors
from journeys.definitions.inbound_sources import load_catalog, load_sources
from journeys.definitions.loader import load_definition, load_definitions

__all__ = ["DefinitionError", "DefinitionErrors", "load_catalog", "load_definition", "load_definitions", "load_sources"]
