"""Latency recording: HDR histograms per endpoint per interval, merged exactly."""

from __future__ import annotations

from swarmdeck.metrics.histogram import LatencyHistogram
from swarmdeck.metrics.interval import EndpointInterval, EndpointKey

__all__ = ["EndpointInterval", "EndpointKey", "LatencyHistogram"]
