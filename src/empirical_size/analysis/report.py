"""The landing text of the Snakemake report: the answer first. The paper's
claims against this run (the reproduction table), E1's table and E7's
table, as reStructuredText tables the report renders on its first page,
after the workflow's own description (``workflow/report/workflow.rst``)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd


def _cell(value) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.4g}"
    return " ".join(str(value).split()) or ""


def rst_table(frame: pd.DataFrame, title: str, columns: list[str] | None = None, widths: list[int] | None = None) -> str:
    """``frame`` (its ``columns``) as a reStructuredText list table (a
    sentence when it has no rows: an empty list table is an error)."""
    columns = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    if frame.empty or not columns:
        return f"*{title}: no rows in this run.*\n"
    lines = [f".. list-table:: {title}", "   :header-rows: 1", "   :class: wide", ""]
    if widths:
        lines.insert(3, f"   :widths: {' '.join(map(str, widths))}")
    for row in [columns, *frame[columns].itertuples(index=False, name=None)]:
        cells = [_cell(v) or "\\-" for v in row]  # an empty cell would end the list
        lines.append(f"   * - {cells[0]}")
        lines.extend(f"     - {c}" for c in cells[1:])
    return "\n".join(lines) + "\n"


def _heading(text: str, mark: str) -> str:
    return f"{text}\n{mark * len(text)}\n"


def _plus_minus(mean, se) -> str:
    return f"{_cell(mean)} ± {_cell(se)}" if _cell(se) else _cell(mean)


def _with_errors(frame: pd.DataFrame, errors: tuple[str, ...] = ("_se", "_sem")) -> pd.DataFrame:
    """Each column with a standard-error column beside it as one ``m ± se``
    column (the report's page is narrow); others as they are."""
    out = {}
    for col in frame.columns:
        base = [col[: -len(e)] for e in errors if col.endswith(e)]
        if any(b in frame.columns or b + "_mean" in frame.columns for b in base) or col.endswith("_diverged"):
            continue
        twin = next((col + e for e in errors if col + e in frame.columns), None)
        twin = twin or next((col.removesuffix("_mean") + e for e in errors if col.endswith("_mean") and col.removesuffix("_mean") + e in frame.columns), None)
        if twin is None:
            out[col] = frame[col]
        else:
            out[col.removesuffix("_mean")] = [_plus_minus(m, e) for m, e in zip(frame[col], frame[twin])]
    return pd.DataFrame(out)


def number(value, unit: str = "") -> str:
    """A value in the paper's units: fractions as percentages (``unit:
    percent``), others to 3 significant digits, infinities as words."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if unit == "percent":
        return f"{float(f'{100 * value:.3g}'):.15g}%"
    return f"{float(f'{value:.3g}'):.15g}"  # 2500, not 2.5e+03


def interval(low: float, high: float, unit: str = "") -> str:
    """The paper's interval in words: "at least", "at most" for one-sided readings."""
    if math.isinf(low) and math.isinf(high):
        return "any"
    if math.isinf(high):
        return f"at least {number(low, unit)}"
    if math.isinf(low):
        return f"at most {number(high, unit)}"
    return f"{number(low, unit)} to {number(high, unit)}"


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def literal(text: str) -> str:
    """``text`` as it reads, not as reStructuredText markup: ``|x|`` would be
    a substitution, ``N*K`` the start of emphasis."""
    return re.sub(r"([\\*`|_])", r"\\\1", " ".join(text.split()))


def _reproduction_view(frame: pd.DataFrame) -> pd.DataFrame:
    """The reproduction table as a reader wants it: the claim in the
    paper's words (or ours) and where, the paper's value or interval and
    ours in its units, what ours rests on, the verdict and, where not
    comparable, why."""
    units = frame["unit"].map(_text) if "unit" in frame else pd.Series([""] * len(frame))
    quotes = frame["quote"].map(_text) if "quote" in frame else pd.Series([""] * len(frame))
    rows = []
    for r, unit, quote in zip(frame.itertuples(), units, quotes):
        said = literal(f'"{quote}" ({r.paper_source})' if quote else f"{r.paper_source}")
        paper = f"about {number(r.paper_value, unit)}" if _text(r.paper_value) else ""
        paper = f"{paper} ({interval(r.paper_low, r.paper_high, unit)})" if paper else interval(r.paper_low, r.paper_high, unit)
        ours = number(r.ours, unit)
        low, high = getattr(r, "ours_low", float("nan")), getattr(r, "ours_high", float("nan"))
        if ours and _text(low) and _text(high):
            ours += f" [{number(low, unit)}, {number(high, unit)}]"
        rests = ", ".join(x for x in (_text(r.rests_on), _text(getattr(r, "method", ""))) if x)
        why = literal(_text(r.why).removeprefix("run at other settings: ")) if r.verdict == "not comparable" else ""
        found = f"**{r.verdict}**" if r.verdict != "not comparable" else r.verdict
        if r.verdict == "inconclusive":
            settle = getattr(r, "trials_to_settle", float("nan"))
            found += f" (about {int(settle)} trials would settle it)" if _text(settle) else " (no number of trials would settle it)"
        if _text(getattr(r, "holm_verdict", "")) and r.holm_verdict != r.verdict:
            found += f"; under Holm: {r.holm_verdict}"
        reading = _text(getattr(r, "reading", ""))
        claim = f"**{r.claim}** {literal(str(r.statement))}. {said}"
        rows.append(
            {
                "claim": claim + (f" *Reading {literal(reading)}.*" if reading.startswith("post hoc") else ""),
                "paper": paper,
                "ours [95% interval]": ours,
                "rests on": literal(rests),
                "verdict": found,
                "why not comparable": why,
            }
        )
    return pd.DataFrame(rows)


def _landing_table(name: str, frame: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """A table's title and view on the report's first page: its experiment's
    ``analysis.landing_table``, else the CSV as it is."""
    import importlib

    from ..plan.registry import TABLES

    if name in TABLES:
        analysis = importlib.import_module(f"{TABLES[name].package}.analysis")
        if hasattr(analysis, "landing_table"):
            return analysis.landing_table(name, frame)
    return name, frame


def family(repro: pd.DataFrame) -> str:
    """The verdicts as a family, in words: how many claims were compared,
    how many of each verdict, and which would change under Holm's
    correction across the compared ones."""
    from .reproduction import NOT_COMPARABLE, VERDICTS

    counts = repro.verdict.value_counts()
    summary = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if v in counts) or "no claims"
    compared = int((repro.verdict != NOT_COMPARABLE).sum())
    text = f"{len(repro)} claims, {compared} compared with this run: {summary}."
    if "holm_verdict" not in repro or not compared:
        return text
    changed = repro[repro.holm_verdict != repro.verdict]
    if changed.empty:
        return text + f" Every verdict stands under Holm's correction across the {compared} compared claims."
    moves = "; ".join(f"{r.claim} ({r.verdict} -> {r.holm_verdict})" for r in changed.itertuples())
    return text + (
        f" Each verdict holds at 95% alone; across the {compared} compared claims, Holm's correction (family-wise 95%) "
        f"would change {len(changed)}: {literal(moves)}."
    )


def embedded_image(png: str | Path, alt: str) -> str:
    """A PNG as a reStructuredText image the page carries in itself (a data
    URI): the report's first page is text, with no file beside it."""
    import base64

    data = base64.b64encode(Path(png).read_bytes()).decode()
    # docutils refuses lines over 10,000 characters; an image's URI may run
    # over several indented lines, which it joins without the whitespace
    lines = "\n".join(f"   {data[i : i + 76]}" for i in range(0, len(data), 76))
    return f".. image::\n   data:image/png;base64,\n{lines}\n   :alt: {alt}\n   :width: 100%\n"


def landing(description: str, tables: dict[str, pd.DataFrame], figure: str | Path | None = None) -> str:
    """The report's first page: ``description`` (reStructuredText), then the
    reproduction table (after ``figure``, its forest plot, where given),
    then every other table of ``tables`` (name -> frame)."""
    parts = [description.rstrip() + "\n"]
    repro = tables.get("reproduction")
    if repro is not None:
        parts += [
            _heading("The paper against this run", "-"),
            f"Each claim of the paper, ours with its 95% interval (Student's t on the trials, paired where the design "
            f"pairs them), and a verdict. {family(repro)} "
            "*Reproduced*: the interval meets the paper's value (a number it states) or lies inside our reading of "
            "its words (an effect it asserts); *contradicted*: it lies wholly outside; *inconclusive*: it straddles "
            "an edge of the reading (the trials a rerun would need to settle it, at the same mean and spread, "
            "beside it); *not comparable*: the run used other settings than the claim's, named in the last column. "
            "A reading chosen after seeing data is marked *post hoc* and shown beside the one fixed before the run. "
            "Our reading of each claim: docs/choices.md.\n",
            *([embedded_image(figure, "each claim's 95% interval against the paper's value or our reading, coloured by verdict")] if figure else []),
            rst_table(_reproduction_view(repro), "results/reproduction.csv", widths=[34, 10, 10, 12, 10, 24]),
        ]
    for name, frame in tables.items():
        if name != "reproduction":
            title, frame = _landing_table(name, frame)
            parts += [_heading(title, "-"), rst_table(_with_errors(frame), f"results/{name}.csv")]
    return "\n".join(parts)


def write_landing(description: str | Path, csvs: dict[str, str | Path], out: str | Path, figure: str | Path | None = None) -> None:
    text = landing(Path(description).read_text(), {name: pd.read_csv(path) for name, path in csvs.items()}, figure)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".part")
    tmp.write_text(text)
    tmp.replace(out)
