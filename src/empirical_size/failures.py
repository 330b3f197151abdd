"""What a failed run says last: one line per job that failed on every
attempt, naming its rule, its output and its log, read from Snakemake's
log (its ``Error in rule`` blocks, one per failed attempt)."""

from __future__ import annotations

import re
from pathlib import Path

BLOCK = re.compile(r"^Error in rule (\S+):\n((?:[ \t]+.*\n?)*)", re.M)


def failed_jobs(text: str) -> list[dict]:
    """Each failed job once (by its output, in the order they first failed):
    ``rule``, ``output``, ``log`` (None where the rule has none) and
    ``attempts`` (its failed attempts in this log)."""
    jobs: dict[str, dict] = {}
    for rule, body in BLOCK.findall(text):
        fields = dict(re.findall(r"^[ \t]+(output|log): (.*?)(?: \(check log file\(s\) for error details\))?$", body, re.M))
        key = fields.get("output", rule)
        job = jobs.setdefault(key, {"rule": rule, "output": fields.get("output"), "log": fields.get("log"), "attempts": 0})
        job["attempts"] += 1
    return list(jobs.values())


def summary(logs) -> list[str]:
    """The closing lines of a failed run from its Snakemake log file(s)
    (``onerror``'s ``log``: a path, or a list of them)."""
    paths = [Path(p) for p in ([logs] if isinstance(logs, (str, Path)) else logs or [])]
    text = "".join(p.read_text(errors="replace") for p in paths if p.is_file())
    lines = []
    for job in failed_jobs(text):
        tries = f"{job['attempts']} attempt{'s' if job['attempts'] != 1 else ''}"
        where = f"; its log: {job['log']}" if job["log"] else ""
        lines.append(f"empirical-size: {job['rule']} {job['output'] or ''} failed ({tries}){where}".replace("  ", " "))
    return lines
