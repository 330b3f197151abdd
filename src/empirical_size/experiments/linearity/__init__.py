"""E5, linearity of training (the paper's Figures 4 and 5), and its
frequency sweep. :mod:`.record` says its jobs; :mod:`.job` trains them and
merges job files; :mod:`.analysis` computes the diff and pure fits (never
imported by training).

The package imports nothing: the workflow reads :mod:`.record` alone."""
