"""The config schema's defaults, the one place each default lives: a job
takes every key its spec leaves out from its experiment's section of the
schema (``workflow/schemas/config.schema.yaml``), or from the top level
(``seed``, ``dtype``). A record's spec is complete: the pipeline's jobs
never read it; a test's or a hand-run job's partial spec does."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

SCHEMA = Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "config.schema.yaml"


@cache
def schema() -> dict:
    import yaml  # here: a training job's environment reads no schema (its spec is complete)

    if not SCHEMA.exists():
        raise FileNotFoundError(f"the config schema {SCHEMA} is missing: run from a clone of the pipeline")
    return yaml.safe_load(SCHEMA.read_text())


def defaults(section: str) -> dict:
    """The defaults a job of ``section`` takes: the top level's scalars, then
    the section's own keys (which win)."""
    props = schema()["properties"]
    top = {k: v["default"] for k, v in props.items() if "default" in v and v.get("type") != "object"}
    own = {k: v["default"] for k, v in props.get(section, {}).get("properties", {}).items() if "default" in v}
    return copy.deepcopy({**top, **own})  # a job's lists are its own
