"""How long a training job runs and how much memory it takes, roughly, from
its work (:mod:`empirical_size.plan.work`): the cluster's requests
(:func:`empirical_size.plan.registry.resources`). Apart from the work
estimates, which records use, so that tuning a request redraws no figure."""

from __future__ import annotations

from .work import job_work

# A training process before its arrays, by the path it trains on, and how
# much its arrays grow in temporaries. The CPU kernel's: Python, numpy,
# xarray, netCDF4 and the kernel (95-100 MB measured on a small E2 job,
# Intel Xeon, AVX-512; E1, E2 and E5's larger jobs peak at 0.75-1.1x their
# arrays' estimate above it). Keras': TensorFlow 2.21 CPU too (760-830 MB
# measured on E1, E2 and E5's default jobs, AMD EPYC and Intel Xeon), with
# room for another machine's libraries and the compiler's temporaries; its
# arrays 2x: the graph's peak on the packed E2 job of tests/test_cluster.py
# varies from 2.37 to 3.03 GB between identical runs (Intel Xeon, AVX-512;
# the same before and after issue 28) and from 2.21 to 2.86 GB (AMD EPYC,
# AVX2); at 1.7x (3.27 GB) the test failed once in a full suite (AMD EPYC, AVX2).
# tests/test_cluster.py holds each path's requests within 2x of its peaks.
PROCESS_MB = {"kernel": 150, "keras": 1200}
ARRAY_FACTOR = {"kernel": 1.1, "keras": 2.0}


def runtime_minutes(spec: dict, cluster: dict, work=job_work) -> int:
    """Minutes to request: the job's work at the assumed speed, times a safety factor."""
    flops, _ = work(spec)
    minutes = flops / (cluster["gflops"] * 1e9) / 60 * cluster["safety"]
    return int(max(cluster["min_runtime"], round(minutes + 2)))


def mem_mb(spec: dict, keras: bool = True, work=job_work) -> int:
    """Memory to request (MB) on the CPU kernel's path or, with ``keras``,
    a Keras path: the process, and its arrays with 10% more (numpy's
    temporaries; twice them on Keras' paths, the compiler's and TensorFlow's allocator's too)."""
    _, memory = work(spec)
    path = "keras" if keras else "kernel"
    return int(PROCESS_MB[path] + ARRAY_FACTOR[path] * memory / 2**20)
