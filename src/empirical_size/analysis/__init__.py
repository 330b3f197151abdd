"""From merged data to answers: merging job files, the shared plotting helpers, statistics, the
paper's claims and their verdicts, the report."""
