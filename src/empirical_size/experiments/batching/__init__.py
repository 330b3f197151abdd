"""E3, mini-batches and the remainder batch (the paper's Figure 2), with the
paper's two remedies as variants. :mod:`.record` says its jobs; they are
E2's jobs with a batch size (:mod:`empirical_size.experiments.size.job`
trains both).

The package imports nothing: the workflow reads :mod:`.record` alone."""
