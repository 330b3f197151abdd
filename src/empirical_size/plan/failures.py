"""What a failed run says last: one line per job that failed on every
attempt, naming its rule, its output and its log, read from Snakemake's
log (an ``Error in rule`` block per failed attempt, ``Finished jobid: N``
when an attempt succeeds)."""

from __future__ import annotations

import re
from pathlib import Path

EVENT = re.compile(r"^Error in rule (\S+):\n((?:[ \t]+.*\n?)*)|^Finished jobid: (\d+)", re.M)


def failed_jobs(text: str) -> list[dict]:
    """Each job whose last attempt in ``text`` failed, once (in the order
    they first failed): ``rule``, ``output``, ``log`` (None where the rule
    has none) and ``attempts`` (its failed attempts). A job that failed and
    then finished on a later attempt is not among them."""
    jobs: dict[str, dict] = {}
    for m in EVENT.finditer(text):
        rule, body, finished = m.groups()
        if finished is not None:
            jobs.pop(finished, None)
            continue
        fields = dict(re.findall(r"^[ \t]+(jobid|output|log): (.*?)(?: \(check log file\(s\) for error details\))?$", body, re.M))
        key = fields.get("jobid", fields.get("output", rule))
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
        output = f" {job['output']}" if job["output"] else ""
        lines.append(f"empirical-size: {job['rule']}{output} failed ({tries}){where}")
    return lines
