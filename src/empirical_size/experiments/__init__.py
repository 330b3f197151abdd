"""One module per kind of experiment job: spec in, labelled data set out."""
