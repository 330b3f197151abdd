"""E7 (beyond the paper): E1's and E2's headline numbers under settings the
paper does not pin down. :mod:`.record` says its jobs (E1's and E2's, their
knobs changed); :mod:`.analysis` merges and summarises (never imported by
training).

The package imports nothing: the workflow reads :mod:`.record` alone."""
