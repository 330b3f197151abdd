"""E7's merge: each setting's E1 and E2 job files paired with the setting
(its rule, ``workflow/rules/sensitivity.smk``, names them);
``python -m empirical_size sensitivity-merge`` calls :func:`from_files`."""

from __future__ import annotations

import xarray as xr

from .analysis import merge
from .record import baseline_knobs


def from_files(degenerate: dict[str, str], sizes: list[tuple[str, str]], settings: dict, config: dict) -> xr.Dataset:
    """E7's data set: ``degenerate`` maps a setting to its E1 job file,
    ``sizes`` pairs settings with E2 job files; ``config``: the merged
    config (its E2 ``n`` and baseline), empty when not given."""
    n = config.get("sensitivity", {}).get("size", {}).get("n")
    baseline = baseline_knobs(config) if config else None
    return merge(degenerate, sizes, settings, n, baseline)
