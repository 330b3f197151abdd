"""A config against its JSON schema, in one line a person can act on: the
key, where it is, what is wrong, and for a misspelled key the closest valid
one ("did you mean `trials`?"), instead of the validator's schema dump."""

from __future__ import annotations

import difflib
from pathlib import Path

import jsonschema
import yaml


def _where(path) -> str:
    return ".".join(str(p) for p in path)


def _subschema(schema: dict, path) -> dict:
    for part in path:
        if isinstance(part, int):
            schema = schema.get("items", {})
        else:
            schema = schema.get("properties", {}).get(part, {})
    return schema


def _say(error: jsonschema.ValidationError, schema: dict) -> str:
    where = _where(error.absolute_path)
    if error.validator == "additionalProperties":
        known = list(_subschema(schema, error.absolute_path).get("properties", {}))
        unknown = sorted(set(error.instance) - set(known))
        section = f"section {where}" if where else "the top level"
        parts = []
        for key in unknown:
            near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"; did you mean `{near[0]}`?" if near else f"; keys there: {', '.join(known)}"
            parts.append(f"config key {'.'.join(filter(None, [where, key]))}: no such key in {section}{hint}")
        return " | ".join(parts)
    value = error.instance
    shown = value if not isinstance(value, (dict, list)) or len(str(value)) < 60 else type(value).__name__
    if error.validator == "enum":
        return f"config key {where} = {shown!r}: must be one of {', '.join(map(str, error.validator_value))}"
    return f"config key {where or '(top level)'} = {shown!r}: {error.message.split(chr(10))[0]}"


def schema_error(config: dict, schema: dict | str | Path) -> str | None:
    """The first way ``config`` breaks ``schema``, in one line, or None."""
    if not isinstance(schema, dict):
        schema = yaml.safe_load(Path(schema).read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    return _say(errors[0], schema) if errors else None
