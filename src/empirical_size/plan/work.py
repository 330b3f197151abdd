"""The work a training job does, roughly, from its spec: the generic
estimate, and the one the records whose work it does not fit (E6, E8)
build theirs on. The cluster's requests follow from it
(:mod:`empirical_size.plan.resources`)."""

from __future__ import annotations

from ..science.networks import layer_sizes, parameter_count


def _networks(spec: dict) -> tuple[int, int]:
    """``(networks, samples)``: how many networks a job trains at once and the
    samples each is evaluated on (the padded largest ``n`` of packed sizes;
    E4's and E5's training points and output grid; E5's three sets)."""
    trials = spec["trials"]
    if "ns" in spec:
        return trials * len(spec["ns"]), max(spec["ns"])
    if "checkpoints" in spec:  # E4, E5: outputs on the grid too
        sets = 3 if "knots" in spec else 1
        return trials * sets, spec["n"] + spec["grid_points"]
    return trials, spec["n"]  # E1, E2, E3; E5's frequency sweep (frequency_epochs epochs, its MSE only)


def job_work(spec: dict, networks: int | None = None, samples: int | None = None, weights_recorded: bool = True) -> tuple[float, float]:
    """``(flops, bytes)`` a training job needs, roughly: 6 flops per parameter
    per sample per epoch (forward and backward); and its largest arrays
    together: one forward pass of every network at once (a measure's layer
    outputs, 3 words per unit), the data (float64 and the device's copy), E1's
    fresh sample (its normal draws, inputs and cast: 16 bytes a value), the
    weights with Adadelta's accumulators and their copies, and the outputs and
    weights E4 and E5 record. ``networks`` and ``samples`` default to
    :func:`_networks`'s; a record's own ``work`` may set them (E8). Calibrated
    against jobs' measured peaks (tests/test_cluster.py)."""
    inputs, depth, width = spec.get("inputs", 1), spec["depth"], spec["width"]
    word = 8 if spec.get("dtype") == "float64" else 4
    if networks is None:
        networks, samples = _networks(spec)
    params = parameter_count(layer_sizes(inputs, width, depth))
    epochs = spec.get("epochs") or spec.get("frequency_epochs") or max(spec.get("checkpoints", [1]))
    steps_samples = samples
    if "steps" in spec:  # E1: a few steps, then a large fresh sample
        epochs, steps_samples = spec["steps"], spec["n"] + spec["fresh_samples"]
    flops = 6.0 * params * steps_samples * epochs * networks
    records = len(spec.get("checkpoints", ())) + spec.get("mse_times", 0)
    recorded = params if weights_recorded else 0
    memory = (
        networks * samples * width * word * 3
        + networks * samples * (inputs + 1) * 16
        + spec["trials"] * spec.get("fresh_samples", 0) * inputs * 16
        + networks * params * word * 8
        + networks * records * (recorded + samples) * 8
    )
    return flops, float(memory)
