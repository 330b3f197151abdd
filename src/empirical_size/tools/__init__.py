"""Tools beside the pipeline: the benchmark and the time estimate."""
