"""journeys: a durable journey orchestrator that runs JourneyForge-style YAML state machines over HTTP."""
