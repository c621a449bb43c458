"""Parsing `httpCall:v1` tasks (DSL 5.1): a raw `method`/`url` call or an OpenAPI `operationRef`.

Everything a call needs is compiled here: URL, header, query and path-parameter templates, the body
(literal JSON, a string template, or a mapper) and the optional `errorMapping`. Features that need
blocks this engine does not implement yet (`resiliencePolicyRef`, outbound `auth`) are
rejected as unsupported rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from journeys.definitions.fields import Block, template_at, templates_at
from journeys.definitions.mappers import mapper_or_ref
from journeys.definitions.model import CompiledTemplate, ErrorMapping, HttpCallTask
from journeys.definitions.resilience import resolve_policy
from journeys.definitions.spec_defaults import with_default_headers
from journeys.definitions.write_targets import parse_write_target

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
UNSUPPORTED_FIELDS = {
    "auth": "outbound auth policies (spec.policies.httpClientAuth)",
}


def _body(task: Block, method: str | None) -> tuple[str, Any] | None:
    """(kind, value) of the request body; ("none", None) when absent."""
    if not task.has("body"):
        return "none", None
    if method == "GET":
        task.report("body", "a GET request cannot have a body")
        return None
    value = task.data["body"]
    if isinstance(value, str):
        template = template_at(task, "body", value)
        return None if template is None else ("template", template)
    if isinstance(value, Mapping) and ("mapper" in value or "mapperRef" in value):
        block = task.block("body")
        assert block is not None
        block.allow("mapper", "mapperRef")
        mapper = mapper_or_ref(block)
        return None if mapper is None else ("mapper", mapper)
    return "json", value


def _error_mapping(task: Block) -> ErrorMapping | Literal[False] | None:
    """The parsed `errorMapping`, None when absent, False when invalid."""
    block = task.block("errorMapping")
    if block is None:
        return False if task.has("errorMapping") else None
    block.allow("when", "mapper", "mapperRef", "target", "resultVar")
    block.one_of("when", ("nonOk",), default="nonOk")
    mapper = mapper_or_ref(block)
    target = parse_write_target(block, block)
    if mapper is None or target is None:
        return False
    return ErrorMapping(mapper, target.kind, target.path, target.result_var)


def _use_jar(task: Block) -> bool:
    """`cookies.useJar` (DSL 22.3): whether the run's cookie jar is attached to this call (default true)."""
    cookies = task.block("cookies")
    if cookies is None:
        return True
    cookies.allow("useJar")
    return cookies.boolean("useJar", default=True)


def _operation(task: Block) -> tuple[str, str, frozenset[str]] | None:
    """(method, url template source, required path params) of `operationRef: <api>.<operationId>`."""
    reference = task.string("operationRef", required=True)
    if reference is None:
        return None
    api, _, operation_id = reference.partition(".")
    if not api or not operation_id:
        task.report("operationRef", f"'{reference}' is not of the form <api>.<operationId>")
        return None
    if api not in task.ctx.apis:
        known = ", ".join(sorted(task.ctx.apis)) or "none declared"
        task.report("operationRef", f"no API '{api}' in spec.apis (known: {known})")
        return None
    catalog = task.ctx.apis[api]
    if catalog is None:  # its document failed to load; reported at spec.apis
        return None
    operation = catalog.get(operation_id)
    if operation is None:
        task.report("operationRef", f"API '{api}' has no operation '{operation_id}'")
        return None
    return operation.method, operation.server_url + operation.path, operation.required_path_params


def parse_http_call(task: Block) -> HttpCallTask | None:
    task.allow(
        "kind", "mode", "operationRef", "params", "method", "url", "headers", "body", "accept", "timeoutMs",
        "resultVar", "errorMapping", "cookies", "resiliencePolicyRef", *UNSUPPORTED_FIELDS,
    )  # fmt: skip
    for key, feature in UNSUPPORTED_FIELDS.items():
        if task.has(key):
            task.report(key, f"{feature} are not supported by this engine yet", unsupported=True)
    mode = task.one_of("mode", ("requestResponse", "notify"), default="requestResponse")
    params = task.block("params")
    if params is not None:
        params.allow("path", "query", "headers")
    headers_block = params.block("headers") if params is not None else None
    if task.has("operationRef"):
        for raw_field in ("method", "url", "headers"):
            if task.has(raw_field):
                task.report(raw_field, "an operationRef call takes its method and URL from the OpenAPI operation")
        resolved = _operation(task)
        method, url_source, required = resolved if resolved is not None else (None, None, frozenset())
    else:
        method = task.one_of("method", METHODS, required=True)
        url_source = task.string("url", required=True)
        required = frozenset()
        # A URL that starts with an interpolation can only be checked when it is rendered.
        if url_source is not None and not url_source.startswith(("http://", "https://", "${")):
            task.report("url", f"'{url_source}' is not an absolute http:// or https:// URL")
            url_source = None
        if params is not None and params.has("path"):
            params.report("path", "path parameters belong to operationRef calls; write them into the url")
        headers_block = headers_block or task.block("headers")
    path_params = templates_at(params.block("path") if params is not None else None)
    if path_params is not None:
        for name in sorted(required - set(path_params)):
            task.report("params", f"missing path parameter '{name}' required by {task.data.get('operationRef')}")
    query = templates_at(params.block("query") if params is not None else None)
    headers = templates_at(headers_block)
    if headers is not None:
        headers = with_default_headers(headers, task.ctx.http_defaults)
    body = _body(task, method)
    default_timeout = task.ctx.http_defaults.timeout_ms if task.ctx.http_defaults is not None else None
    timeout_ms = task.positive_int("timeoutMs") or default_timeout or 10_000
    accept = task.string("accept", default="application/json")
    result_var = task.identifier("resultVar")
    error_mapping = _error_mapping(task)
    retry = resolve_policy(task) if mode != "notify" else None
    if mode == "notify" and task.has("resiliencePolicyRef"):
        task.report("resiliencePolicyRef", "a notify call is not retried (its outcome is never awaited)")
    use_jar = _use_jar(task)
    if mode == "notify":
        for key in ("resultVar", "errorMapping"):
            if task.has(key):
                task.report(key, "a notify call has no result; remove it")
    url = template_at(task, "url" if task.has("url") else "operationRef", url_source) if url_source else None
    if None in (method, url, path_params, query, headers, body, accept, mode) or error_mapping is False:
        return None
    body_kind, body_value = cast(tuple[str, Any], body)
    return HttpCallTask(
        method=cast(str, method),
        url=cast(CompiledTemplate, url),
        path_params=cast(Mapping[str, CompiledTemplate], path_params),
        query=cast(Mapping[str, CompiledTemplate], query),
        headers=cast(Mapping[str, CompiledTemplate], headers),
        body=body_value,
        body_kind=cast(Literal["none", "json", "template", "mapper"], body_kind),
        accept=cast(str, accept),
        timeout_ms=timeout_ms,
        result_var=result_var,
        mode=cast(Literal["requestResponse", "notify"], mode),
        error_mapping=error_mapping,
        operation=task.data.get("operationRef"),
        retry=retry,
        use_jar=use_jar,
    )
