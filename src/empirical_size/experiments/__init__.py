"""One package per experiment: its record (the workflow reads it), its job (spec
in, labelled data set out), apart from its analysis and figures."""
