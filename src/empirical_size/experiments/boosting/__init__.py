"""E8, "artificial boosting" (beyond the paper): does adding a known
low-frequency function to a target, training on the sum and subtracting the
known function again improve the fit? The paper's Section 4 asks it as an
open question. :mod:`.record` says its jobs; :mod:`.job` trains;
:mod:`.analysis` answers and :mod:`.figure` draws (training never imports
either).

The package imports nothing: the workflow reads :mod:`.record` alone."""
