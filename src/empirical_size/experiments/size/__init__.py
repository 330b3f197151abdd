"""E2, error and size of networks fitting noise (the paper's Figure 1).
:mod:`.record` says its jobs; :mod:`.job` trains them (E3's and E7's E2
points too); :mod:`.figure` draws Figure 1.

The package imports nothing: the workflow reads :mod:`.record` alone."""
