"""E6 (beyond the paper): exact numbers of linear pieces of one-input
networks. :mod:`.record` says its jobs; :mod:`.job` trains and counts;
:mod:`.analysis` merges and summarises (never imported by training).

The package imports nothing: the workflow reads :mod:`.record` alone."""
