"""Reading GET /metrics as Prometheus does: prometheus_client's own parser of its text format."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families


class Scrape:
    """One scrape: each sample's value by name and labels, and each family's type."""

    def __init__(self, text: str) -> None:
        families = list(text_string_to_metric_families(text))
        self.types = {family.name: family.type for family in families}
        self.samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in families
            for sample in family.samples
        }

    def value(self, name: str, **labels: str) -> float:
        """The sample's value; 0 when the scrape has no such series (yet)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def has(self, name: str, **labels: str) -> bool:
        return (name, frozenset(labels.items())) in self.samples

    def labels(self, name: str, label: str) -> set[str]:
        """Every value `label` takes in the series of `name`."""
        return {dict(key)[label] for (sample, key) in self.samples if sample == name}

    def bounds(self, histogram: str, **labels: str) -> list[str]:
        """A histogram's bucket bounds (`le`), in the order they are written."""
        return [
            dict(key)["le"]
            for (sample, key) in self.samples
            if sample == f"{histogram}_bucket" and labels.items() <= dict(key).items()
        ]


def scrape(url: str, token: str | None = None) -> Scrape:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.get(f"{url}/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    return Scrape(response.text)


def current(name: str, **labels: str) -> float:
    """A value as this process holds it now (for the parts tested without the app)."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0
