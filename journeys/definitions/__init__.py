"""Journey definitions: loading and validating `*.journey.yaml` files into the compiled model."""

from journeys.definitions.errors import DefinitionError, DefinitionErrors
from journeys.definitions.inbound_sources import load_catalog, load_sources
from journeys.definitions.loader import content_digest, load_definition, load_definition_text, load_definitions

__all__ = [
    "DefinitionError",
    "DefinitionErrors",
    "content_digest",
    "load_catalog",
    "load_definition",
    "load_definition_text",
    "load_definitions",
    "load_sources",
]
