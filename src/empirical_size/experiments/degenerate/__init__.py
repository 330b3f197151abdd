"""E1, degenerate neurons (the paper's section 2.1). :mod:`.record` says its
jobs; :mod:`.job` trains them; :mod:`.analysis` makes its table (never
imported by training).

The package imports nothing: the workflow reads :mod:`.record` alone."""
