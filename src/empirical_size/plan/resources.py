"""How long a training job runs and how much memory it takes, roughly, from
its spec: the cluster's requests (:func:`empirical_size.plan.registry.resources`)
and the records whose work the generic estimate does not fit (E6, E8)."""

from __future__ import annotations

from ..science.networks import layer_sizes, parameter_count

# A training process before its arrays, by the path it trains on, and how
# much its arrays grow in temporaries. The CPU kernel's: Python, numpy,
# xarray, netCDF4 and the kernel (95-100 MB measured on a small E2 job,
# Intel Xeon, AVX-512; E1, E2 and E5's larger jobs peak at 0.75-1.1x their
# arrays' estimate above it). Keras': TensorFlow 2.21 CPU too (760-830 MB
# measured on E1, E2 and E5's default jobs, AMD EPYC and Intel Xeon), with
# room for another machine's libraries and the compiler's temporaries; its
# arrays 1.7x: the graph's peak on the packed E2 job of tests/test_cluster.py
# varies from 2.37 to 3.03 GB between identical runs (Intel Xeon, AVX-512;
# the same before and after issue 28), above 1.4x's 2.90 GB at times.
# tests/test_cluster.py holds each path's requests within 2x of its peaks.
PROCESS_MB = {"kernel": 150, "keras": 1200}
ARRAY_FACTOR = {"kernel": 1.1, "keras": 1.7}


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


def runtime_minutes(spec: dict, cluster: dict, work=job_work) -> int:
    """Minutes to request: the job's work at the assumed speed, times a safety factor."""
    flops, _ = work(spec)
    minutes = flops / (cluster["gflops"] * 1e9) / 60 * cluster["safety"]
    return int(max(cluster["min_runtime"], round(minutes + 2)))


def mem_mb(spec: dict, keras: bool = True, work=job_work) -> int:
    """Memory to request (MB) on the CPU kernel's path or, with ``keras``,
    a Keras path: the process, and its arrays with 10% more (numpy's
    temporaries; 70% on Keras' paths, the compiler's and TensorFlow's allocator's too)."""
    _, memory = work(spec)
    path = "keras" if keras else "kernel"
    return int(PROCESS_MB[path] + ARRAY_FACTOR[path] * memory / 2**20)
