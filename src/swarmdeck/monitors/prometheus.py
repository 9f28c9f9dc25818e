"""``prometheus+http://HOST:PORT/PATH``: a Prometheus endpoint in the text exposition
format, fetched once a second and parsed with ``prometheus_client``'s own parser.

Series are named ``prom.<sample>`` (with its labels: ``prom.http_requests_total{code="200"}``):
gauges and untyped samples as they are; counters as their rate per second; histograms and
summaries as their count's rate (``<name>_count``, per second) and the mean of the
observations in the second (``<name>.mean``). ``?metric=NAME`` (repeatable) keeps those
metrics (a family's or a sample's name); without it every series is kept up to ``?max=N``
(50).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Sequence

from swarmdeck.masking import mask_url
from swarmdeck.monitors.sampler import Rates, Reading, SourceError, one_line
from swarmdeck.monitors.spec import MonitorSpec
from swarmdeck.records.monitors import COUNT, PER_SECOND, TopQuery

TIMEOUT_S = 2.0
MAX_BODY = 8 << 20


def _label_text(labels: dict[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def readings(text: str, rates: Rates, wanted: Sequence[str] = (), cap: int = 50
             ) -> list[Reading]:
    """The series of one scrape (``rates`` turns counters into rates across scrapes).
    Raises ValueError when ``text`` is not the exposition format."""
    from prometheus_client.parser import text_string_to_metric_families

    out: list[Reading] = []
    sums: dict[str, tuple[float | None, float | None]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if wanted and family.name not in wanted and sample.name not in wanted:
                continue
            if sample.name.endswith("_created") or sample.name.endswith("_bucket"):
                continue
            if family.type in ("summary", "histogram") and "quantile" in sample.labels:
                continue
            name = "prom." + sample.name + _label_text(dict(sample.labels))
            value = float(sample.value)
            histogram = family.type in ("histogram", "summary")
            if histogram and sample.name.endswith(("_count", "_sum")):
                key = "prom." + family.name + _label_text(dict(sample.labels))
                count, total = sums.get(key, (None, None))
                change = rates.delta(name + "#change", value)
                sums[key] = ((change, total) if sample.name.endswith("_count")
                             else (count, change))
                if sample.name.endswith("_sum"):
                    continue
            if family.type == "counter" or histogram:
                rate = rates.rate(name, value)
                if rate is not None:
                    out.append(Reading(name, rate, PER_SECOND))
            else:
                out.append(Reading(name, value, COUNT))
    for key, (count, total) in sums.items():
        if count and total is not None:
            out.append(Reading(key + ".mean", total / count, COUNT))
    return out[:cap]


class PrometheusSampler:
    kind = "prometheus"

    def __init__(self, spec: MonitorSpec) -> None:
        self.spec = spec
        self.rates = Rates()

    def _fetch(self) -> str:
        url = self.spec.url or ""
        shown = mask_url(url)
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # nosec B310  # http(s) only: the spec is prometheus+http(s)://
                return str(response.read(MAX_BODY).decode("utf-8", errors="replace"))
        except urllib.error.HTTPError as exc:
            raise SourceError(f"{shown} answered {exc.code} {exc.reason}") from None
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            text = one_line(reason) if isinstance(reason, BaseException) else str(reason)
            raise SourceError(f"cannot fetch {shown}: {text}") from None

    def open(self) -> None:
        self.sample(0)

    def sample(self, at: int) -> list[Reading]:
        text = self._fetch()
        try:
            return readings(text, self.rates, self.spec.metrics, self.spec.max_series)
        except ValueError as exc:
            raise SourceError(f"{mask_url(self.spec.url or '')} is not Prometheus text: "
                              f"{one_line(exc)}") from None

    def finish(self) -> tuple[TopQuery, ...]:
        return ()

    def close(self) -> None:
        self.rates.forget()
