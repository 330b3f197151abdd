"""Planning a run: the experiments' records and their registry, config checks, cluster requests,
code triggers and the failed run's summary. Light: the workflow imports it to plan."""
