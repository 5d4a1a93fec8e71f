"""Summary statistics for benchmark samples: medians, spread, percentiles.

Every figure the harness quotes is a median of repeated runs; the spread
((max - min) / median) says how noisy those runs were.
"""
import math
import statistics


def median(values):
    """The median of a non-empty list of numbers."""
    return statistics.median(values)


def spread(values):
    """(max - min) / median, as a fraction: 0.05 means the runs agree within 5%."""
    middle = median(values)
    return (max(values) - min(values)) / middle if middle else 0.0


def percentile(values, fraction):
    """Nearest-rank percentile of values (fraction 0.99 is p99); None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, min(len(ordered), math.ceil(round(fraction * len(ordered), 9))))
    return ordered[rank - 1]
