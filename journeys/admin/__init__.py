"""The operator command line (`journeys list|show|cancel`): a client of the HTTP API, nothing more.

It speaks to a running server the way any operator's script would, with the operator token, so it never imports
the engine, the store or the server (tests/test_layering.py keeps it so): what it may share with the server lives
in `journeys.http_api`. `client` sends the requests, `tables` lays out what comes back, `journey_commands` holds
the commands and `commands` runs one of them and turns failures into one line on stderr and an exit status.
"""
