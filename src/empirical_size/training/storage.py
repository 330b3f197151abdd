"""Writing and reading NetCDF files safely.

A final output is never written in place: it is written to a temporary file
beside it and renamed, so a killed job leaves no file a later run trusts.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import xarray as xr

ENGINE = "netcdf4"


def write_atomic(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = _netcdf_safe(ds)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine=ENGINE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _netcdf_safe(ds: xr.Dataset) -> xr.Dataset:
    """NetCDF attributes cannot be booleans or None: store 0/1 and ''."""

    def fix(attrs):
        return {k: (int(v) if isinstance(v, bool) else "" if v is None else v) for k, v in attrs.items()}

    ds = ds.copy()
    ds.attrs = fix(ds.attrs)
    for var in ds.variables.values():
        var.attrs = fix(var.attrs)
    return ds


def load(path: str | os.PathLike, required: tuple[str, ...] = ()) -> xr.Dataset:
    """Load a data set into memory, failing with the file's name if unreadable."""
    try:
        ds = xr.load_dataset(path, engine=ENGINE)
    except Exception as err:  # noqa: BLE001 - re-raised with the file named
        raise ValueError(f"{path}: cannot read as NetCDF ({type(err).__name__}: {err})") from err
    missing = [v for v in required if v not in ds.variables]
    if missing:
        raise ValueError(f"{path}: missing variables {missing}; found {sorted(ds.variables)}")
    return ds


def provenance(config_slice: dict, seeds: str, wall_seconds: float, gradients: str = "") -> dict[str, str | float]:
    """NetCDF attributes saying where a job's numbers came from; ``gradients``
    is how its trainer took its steps (``Trainer.gradient_path``)."""
    from .. import __version__
    from ..engine import backend

    # A job that never imported Keras (the CPU kernel's, E6's counts) computed
    # in numpy and C++: say so without importing TensorFlow to describe a device.
    keras_job = "keras" in sys.modules
    return {
        "config": json.dumps(config_slice, sort_keys=True),
        "seeds": seeds,
        "backend": os.environ.get("KERAS_BACKEND", "") if keras_job else "numpy",
        "matmul_precision": backend.matmul_precision(),
        "gradients": gradients,
        "versions": json.dumps(backend.versions(), sort_keys=True),
        "device": backend.device() if keras_job else f"numpy:{backend.host_cpu()}",
        "host": socket.gethostname(),
        "wall_seconds": round(float(wall_seconds), 3),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "empirical_size_version": __version__,
    }
