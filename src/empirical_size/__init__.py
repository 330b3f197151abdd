"""empirical-size: reproduce *The Empirical Size of Trained Neural Networks*.

The library trains many small ReLU networks at once (a trial axis on every
weight), writes labelled xarray data sets and draws the paper's figures. It
knows nothing of Snakemake: the workflow calls it through ``python -m
empirical_size``.
"""

__version__ = "0.1.0"
