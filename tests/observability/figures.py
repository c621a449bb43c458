"""`GET /metrics` read as Prometheus reads it: parsed by prometheus_client's own parser, never by regex."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.support import LiveServer


@dataclass(frozen=True)
class Figures:
    samples: list[Sample]

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples named `name` whose labels include `labels` (0 when there is none)."""
        wanted = labels.items()
        return sum(s.value for s in self.samples if s.name == name and wanted <= s.labels.items())

    def has(self, name: str) -> bool:
        return any(sample.name == name for sample in self.samples)


def parse(text: str) -> Figures:
    return Figures([sample for family in text_string_to_metric_families(text) for sample in family.samples])


async def scrape(server: LiveServer, headers: dict[str, str] | None = None) -> Figures:
    async with server.http.get(server.url("/metrics"), headers=headers or {}) as response:
        text = await response.text()
        assert response.status == 200, text
        assert response.content_type == "text/plain"
    return parse(text)
