"""E5's merge: its job's variables as they are, and its frequency sweep's
beside them (the record's ``Merge(function=...)``). Training never imports
it, so editing it remerges, never retrains."""

from __future__ import annotations

import json

import xarray as xr

from ...analysis.merge import merge_jobs
from .job import FREQ_EPOCH, FREQUENCY, SWEEP


def merge(paths, variables=("output", "output_data", "mse")) -> xr.Dataset:
    """E5's merged data set: its job's variables as they are, and, with any
    frequency job files among ``paths``, the sweep's as ``freq_mse``
    ``(frequency, trial, freq_epoch)``, ``freq_target_variance``
    ``(frequency, trial)``, ``freq_phase``, ``freq_diverged``."""

    def is_sweep(path) -> bool:
        with xr.open_dataset(path) as ds:
            return "frequency" in ds.coords

    sweep = [p for p in paths if is_sweep(p)]
    main = merge_jobs([p for p in paths if p not in sweep], (), variables, "linearity")
    if not sweep:
        return main
    freq = merge_jobs(sweep, ("frequency",), ("mse", "target_variance"), "linearity").rename(SWEEP)
    phase = freq.freq_phase.isel(frequency=0, drop=True)
    if not (freq.freq_phase == phase).all():
        raise ValueError(f"linearity: the frequency jobs {sweep} disagree on their trials' phases (jobs of other seeds?)")
    freq["freq_phase"] = phase
    freq["frequency"].attrs["description"] = FREQUENCY
    freq["freq_epoch"].attrs["description"] = FREQ_EPOCH
    shared, freq.attrs = dict(freq.attrs), {}
    out = xr.merge([main, freq], join="exact", combine_attrs="override")
    devices = sorted(set(json.loads(main.attrs["devices"])) | set(json.loads(shared["devices"])))
    out.attrs.update(
        jobs=main.attrs["jobs"] + shared["jobs"],
        total_wall_seconds=round(main.attrs["total_wall_seconds"] + shared["total_wall_seconds"], 3),
        devices=json.dumps(devices),
        frequency_epochs=int(shared["frequency_epochs"]),
    )
    return out
