"""Spike detector: placeholder until the microbenchmark package lands."""


def run(folder, log):
    raise NotImplementedError
