"""Contract tests: the published OpenAPI and Arazzo documents, checked against a live server."""
