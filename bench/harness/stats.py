"""Summary statistics for benchmark samples: medians and spread.

Every figure the harness quotes is a median of repeated runs; the spread
((max - min) / median) says how noisy those runs were.
"""
import statistics


def median(values):
    """The median of a non-empty list of numbers."""
    return statistics.median(values)


def spread(values):
    """(max - min) / median, as a fraction: 0.05 means the runs agree within 5%."""
    middle = median(values)
    return (max(values) - min(values)) / middle if middle else 0.0
