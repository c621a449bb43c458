"""Load-time checks of `kind: Api`, `spec.bindings` and `spec.cookies`: each mistake is one error at its field,
and the transports and jars this engine does not run are refused as not supported."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.definitions import DefinitionErrors, load_definition_text, load_definitions

API = """
apiVersion: v1
kind: Api
metadata: { name: quote, version: "1" }
spec:
  bindings:
    http:
      route: { path: /apis/quotes }
      start:
        headersToContext: { X-Tenant-Id: tenant }
  start: price
  states:
    price:
      type: transform
      transform:
        mapper: { lang: dataweave, expr: "{ price: 10 }" }
        target: { kind: var }
        resultVar: quote
      next: done
    done: { type: succeed, outputVar: quote }
"""

JOURNEY = """
apiVersion: v1
kind: Journey
metadata: { name: review, version: "1" }
spec:
  bindings:
    http:
      start:
        headersToContext: { X-Tenant-Id: tenant }
      steps:
        approve:
          headersToContext: { X-Approver: approver }
  start: approve
  states:
    approve:
      type: wait
      wait: { input: { schema: { type: object } } }
      next: done
    done: { type: succeed }
"""

COOKIES = """
apiVersion: v1
kind: Api
metadata: { name: session-api, version: "1" }
spec:
  cookies:
    jar:
      domains: [{ pattern: api.example.com }]
    returnToClient:
      mode: filtered
      include: { names: [session], namePatterns: ["^x-app-"] }
  start: login
  states:
    login:
      type: task
      task:
        kind: httpCall:v1
        method: POST
        url: https://api.example.com/login
        cookies: { useJar: false }
        resultVar: login
      next: done
    done: { type: succeed }
"""


def _errors(text: str) -> list[tuple[str, str, bool]]:
    with pytest.raises(DefinitionErrors) as raised:
        load_definition_text(text, "edited.journey.yaml")
    return [(error.field, error.message, error.unsupported) for error in raised.value.errors]


def test_the_valid_documents_load_with_what_they_declare() -> None:
    api = load_definition_text(API, "quote.journey.yaml")
    journey = load_definition_text(JOURNEY, "review.journey.yaml")
    cookies = load_definition_text(COOKIES, "session-api.journey.yaml")

    assert api.kind == "Api" and api.http_bindings is not None and api.http_bindings.route_path == "/apis/quotes"
    assert journey.kind == "Journey" and journey.http_bindings is not None
    assert journey.http_bindings.steps["approve"].headers_to_context == {"X-Approver": ("approver",)}
    assert cookies.cookies is not None and cookies.cookies.returns("session") and cookies.cookies.returns("x-app-1")
    assert not cookies.cookies.returns("prefs")


@pytest.mark.parametrize(
    ("text", "old", "new", "field", "message"),
    [
        pytest.param(
            API,
            "    done: { type: succeed, outputVar: quote }",
            "    done:\n      type: wait\n      wait: { input: { schema: { type: object } } }\n      next: price",
            "spec.states.done.type",
            "a wait state cannot be used in kind: Api",
            id="api-wait-state",
        ),
        pytest.param(
            API,
            "  start: price",
            "  lifecycle: { startMode: async }\n  start: price",
            "spec.lifecycle",
            "applies to kind: Journey only",
            id="api-lifecycle",
        ),
        pytest.param(
            API,
            "path: /apis/quotes",
            "path: /journeys/quotes",
            "spec.bindings.http.route.path",
            "must be /apis/<name>",
            id="route-outside-apis",
        ),
        pytest.param(
            API,
            "route: { path: /apis/quotes }",
            "route: { path: /apis/quotes, method: GET }",
            "spec.bindings.http.route.method",
            "must be one of POST",
            id="route-method",
        ),
        pytest.param(
            JOURNEY,
            "      start:",
            "      route: { path: /apis/review }\n      start:",
            "spec.bindings.http.route",
            "kind: Api only",
            id="route-on-a-journey",
        ),
        pytest.param(
            JOURNEY,
            "      start:",
            "      apiResponses: { default: { SUCCEEDED: 201 } }\n      start:",
            "spec.bindings.http.apiResponses",
            "kind: Api only",
            id="apiResponses-on-a-journey",
        ),
        pytest.param(
            JOURNEY,
            "        approve:\n          headersToContext",
            "        done:\n          headersToContext",
            "spec.bindings.http.steps.done",
            "not a wait or webhook state",
            id="steps-of-a-non-step",
        ),
        pytest.param(
            JOURNEY,
            "{ X-Tenant-Id: tenant }",
            "{ X-Tenant-Id: 'not a field' }",
            "spec.bindings.http.start.headersToContext.X-Tenant-Id",
            "must name a context field",
            id="bad-context-field",
        ),
        pytest.param(
            COOKIES,
            "mode: filtered",
            "mode: some",
            "spec.cookies.returnToClient.mode",
            "must be one of",
            id="bad-return-mode",
        ),
        pytest.param(
            COOKIES,
            '"^x-app-"',
            '"(unclosed"',
            "spec.cookies.returnToClient.include.namePatterns[0]",
            "not a regular expression",
            id="bad-name-pattern",
        ),
        pytest.param(
            COOKIES,
            "    jar:\n      domains: [{ pattern: api.example.com }]\n",
            "",
            "spec.cookies.returnToClient",
            "needs a jar",
            id="return-without-jar",
        ),
    ],
)
def test_each_mistake_is_one_error_at_its_field(text: str, old: str, new: str, field: str, message: str) -> None:
    assert old in text
    errors = _errors(text.replace(old, new))

    assert [(f, message in m) for f, m, _ in errors if f == field] == [(field, True)], errors
    if field != "spec.cookies.returnToClient":
        assert len(errors) == 1, errors


def test_task_cookies_without_a_jar_is_an_error() -> None:
    text = COOKIES.replace("  cookies:\n    jar:\n      domains: [{ pattern: api.example.com }]\n", "")
    text = text.replace(
        '    returnToClient:\n      mode: filtered\n      include: { names: [session], namePatterns: ["^x-app-"] }\n',
        "",
    )
    assert _errors(text) == [
        ("spec.states.login.task.cookies", "task.cookies needs a cookie jar: declare spec.cookies.jar", False)
    ]


@pytest.mark.parametrize("transport", ["websocket", "queue", "grpc", "cli", "function"])
def test_other_transports_are_refused_as_not_supported(transport: str) -> None:
    errors = _errors(API.replace("  bindings:\n", f"  bindings:\n    {transport}: {{}}\n"))

    assert errors == [(f"spec.bindings.{transport}", errors[0][1], True)]
    assert "not supported" in errors[0][1]


def test_a_jar_on_a_journey_that_pauses_is_refused_as_not_supported() -> None:
    text = JOURNEY.replace(
        "  bindings:", "  cookies:\n    jar: { domains: [{ pattern: api.example.com }] }\n  bindings:"
    )

    errors = _errors(text)

    assert errors == [("spec.cookies", errors[0][1], True)] and "not supported" in errors[0][1]


def test_two_apis_may_not_claim_one_path(tmp_path: Path) -> None:
    (tmp_path / "quote.journey.yaml").write_text(API)
    (tmp_path / "quotes.journey.yaml").write_text(
        API.replace("name: quote,", "name: quotes,").replace(
            "route: { path: /apis/quotes }", "route: { path: /apis/offers }"
        )
    )

    with pytest.raises(DefinitionErrors) as raised:
        load_definitions([tmp_path])

    assert [error.field for error in raised.value.errors] == ["spec.bindings.http.route.path"]
    assert "already the path of the Api" in raised.value.errors[0].message


def test_a_jar_on_a_journey_with_retry_policies_is_refused_as_not_supported() -> None:
    text = COOKIES.replace("kind: Api", "kind: Journey").replace(
        "  start: login",
        "  policies: { httpResilience: { default: p, definitions: { p: { maxAttempts: 2 } } } }\n  start: login",
    )

    errors = _errors(text)

    assert [(field, unsupported) for field, _, unsupported in errors] == [("spec.cookies", True)]
    assert "retry backoffs" in errors[0][1]
