"""E4, local minima on a sawtooth (the paper's Figure 3). :mod:`.record`
says its jobs; :mod:`.job` trains them.

The package imports nothing: the workflow reads :mod:`.record` alone."""
