"""`journeys test SCENARIO.yaml...`: run a journey against scripted downstream services and check what it did.

A scenario file names one journey definition and lists scenarios: the start request, scripted answers of the
services in the journey's `spec.apis` (served by real stub servers on loopback ports), step submissions and clock
advances, and the expected outcome, output, path of states and downstream calls. Each scenario runs the real server
app on a loopback port with a fresh SQLite database and a clock that stands still until a step advances it, so a
two-day SLA is checked in milliseconds and every timestamp is reproducible. See docs/scenarios.md.

Modules: `scenario_model` is what a file says, `scenario_format` (with `durations`) reads it, `stub_operations` and
`stubs` serve the downstream APIs, `harness` starts the server, database and stubs of one scenario, `runner` plays
it, `matching`/`checks` compare, `report`/`junit` print, `command` is the CLI entry.
"""
