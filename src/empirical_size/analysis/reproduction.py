"""The paper's claims against the run at hand.

The paper's numbers live in ``paper_values.yaml`` only. For each claim this
module computes our value, its standard error and its 95% interval (Student's
t on the trials; on the paired differences where the design pairs two
measurements of each trial; on the logs for a ratio) from a merged data set,
checks that the data set was made at the paper's settings, and gives a
verdict:

``reproduced``        the interval lies where the reading says: it meets
                      the paper's interval for a number the paper states
                      (``test: overlaps``), or lies wholly inside our
                      reading of an effect it asserts (``test: inside``);
``contradicted``      it lies wholly outside the reading: evidence against
                      the paper, not only the absence of evidence for it;
``inconclusive``      it straddles an edge of the reading (``inside``): we
                      cannot tell yet; the row says how many trials would
                      settle it at the same mean and spread;
``not comparable``    the data set was made at other settings (a scaled-down
                      grid, another optimizer), or is missing.

The verdicts form a family: each row also says whether its verdict stands
under Holm's correction across every comparable claim (``holm_verdict``).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from ..paper import SETTINGS
from .claims import Estimate, NotMeasurable, measures
from .stats import LEVEL, holm, t_p_value, trials_to_settle

REFERENCE = Path(__file__).with_name("paper_values.yaml")
REPRODUCED, CONTRADICTED, INCONCLUSIVE, NOT_COMPARABLE = "reproduced", "contradicted", "inconclusive", "not comparable"
VERDICTS = (REPRODUCED, CONTRADICTED, INCONCLUSIVE, NOT_COMPARABLE)
# How our 95% interval is held against the paper's (``test`` of a claim):
# "overlaps": it meets it (a number the paper states to some precision);
# "inside": it lies wholly inside it (an effect the paper asserts: we must establish it).
TESTS = ("overlaps", "inside")


@dataclass(frozen=True)
class Claim:
    id: str
    experiment: str
    source: str
    statement: str
    measure: str
    low: float
    high: float
    value: float | None = None
    args: dict = field(default_factory=dict)
    requires: dict = field(default_factory=dict)
    test: str = "overlaps"
    quote: str = ""
    unit: str = ""
    post_hoc: str = ""  # the id of the reading fixed before the run that this one, chosen after seeing data, sits beside
    why: str = ""  # one line: why this reading of the paper's words
    unanswerable: str = ""  # why no run of this design can test the reading (the row stays, not comparable, saying so)
    short: str = ""  # the claim in a few words (the forest plot's row label)

    @property
    def uses(self) -> tuple[str, ...]:
        """The experiments whose merged data sets the claim reads."""
        return measures()[self.measure].uses


class ReferenceError(ValueError):
    """A claim of the reference file that cannot be measured as written; names the claim."""


def _check(c: dict, known: set[str], ids: set[str]) -> None:
    cid = c.get("id", "?")
    if c.get("measure") not in measures():
        near = difflib.get_close_matches(str(c.get("measure")), list(measures()), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else f"; measures are {sorted(measures())}"
        raise ReferenceError(f"claim {cid}: unknown measure {c.get('measure')!r}{hint}")
    if c.get("experiment") not in known:
        raise ReferenceError(f"claim {cid}: unknown experiment {c.get('experiment')!r}; experiments are {sorted(known)}")
    if c.get("experiment") not in measures()[c["measure"]].uses:
        raise ReferenceError(f"claim {cid}: measure {c['measure']!r} reads {measures()[c['measure']].uses}, not {c['experiment']!r}")
    if c.get("test", "overlaps") not in TESTS:
        raise ReferenceError(f"claim {cid}: test must be one of {TESTS}, got {c.get('test')!r}")
    if ("range" in c) == ("value" in c):
        raise ReferenceError(f"claim {cid}: give either value and tolerance, or range")
    if "post_hoc" in c and c["post_hoc"] not in ids:
        raise ReferenceError(f"claim {cid}: post_hoc names {c['post_hoc']!r}, not a claim of the file (the reading fixed before the run it sits beside)")


def reference_files() -> list[Path]:
    """The paper's claims: ``paper_values.yaml`` here, then any experiment
    package's own (``experiments/<name>/paper_values.yaml``, for claims
    that belong with an experiment added later)."""
    own = sorted(Path(__file__).resolve().parents[1].glob(f"experiments/*/{REFERENCE.name}"))
    return [REFERENCE, *own]


def load_reference(path: str | Path | None = None, check: bool = True) -> tuple[dict, list[Claim]]:
    """``(paper_settings, claims)``: the paper's settings (:mod:`empirical_size.paper`)
    and the claims of the reference file (default: :func:`reference_files`,
    together). Fails naming the claim whose measure, experiment or test is
    unknown, or whose id another has; without ``check`` (a figure reading
    the paper's values) no measure is imported to check its name."""
    import yaml

    from ..plan.record import experiment_modules

    # the experiments by their packages, not the registry: a figure reading
    # the paper's values is not redrawn when a resource estimate changes
    experiments = {name.split(".")[-2] for name in experiment_modules("record")}
    entries = [c for f in ([path] if path else reference_files()) for c in yaml.safe_load(Path(f).read_text())["claims"]]
    claims, seen = [], set()
    ids = {c.get("id") for c in entries}
    for c in entries:
        if check:
            _check(c, experiments, ids)
        if c["id"] in seen:
            raise ReferenceError(f"claim {c['id']}: the id is used twice")
        seen.add(c["id"])
        if "range" in c:
            low, high = map(float, c["range"])
        else:
            low, high = c["value"] - c["tolerance"], c["value"] + c["tolerance"]
        keep = {k: c[k] for k in ("id", "experiment", "source", "statement", "measure")}
        extra = {k: c[k] for k in ("test", "quote", "unit", "post_hoc", "why", "unanswerable", "short") if k in c}
        claims.append(Claim(**keep, **extra, low=low, high=high, value=c.get("value"), args=c.get("args") or {}, requires=c.get("requires") or {}))
    return SETTINGS, claims


def data_sets(path: str | Path | None = None) -> list[str]:
    """The experiments whose merged data sets the claims read (the reproduction rule's inputs)."""
    return sorted({e for claim in load_reference(path)[1] for e in claim.uses})


# -- comparability and verdicts ----------------------------------------------
def run_config(ds: xr.Dataset) -> dict:
    """The config a merged data set records (its section, seed, dtype, optimizer)."""
    try:
        return json.loads(ds.attrs["config"])
    except (KeyError, json.JSONDecodeError) as err:
        raise ValueError(f"data set of experiment {ds.attrs.get('experiment', '?')!r} records no config") from err


def _setting(section: dict, key: str):
    m = re.fullmatch(r"(max|min)\((\w+)\)", key)
    if m:
        values = section.get(m.group(2))
        return None if not values else (max if m.group(1) == "max" else min)(values)
    return section.get(key)


def _required(key: str, experiment: str, config: dict, others: dict[str, dict]):
    """``(name, value)`` of a required setting: ``key`` of the claim's own
    section, or ``other.key`` of another experiment's (from that data set's
    recorded config when the claim's own does not record the section)."""
    head, dot, rest = key.partition(".")
    if dot and not head.endswith(")"):
        recorded = config if head in config else others.get(head, {})
        return key, _setting(recorded.get(head, {}), rest)
    return f"{experiment}.{key}", _setting(config.get(experiment, {}), key)


def differences(claim: Claim, config: dict, paper_settings: dict, others: dict[str, dict] | None = None) -> list[str]:
    """Settings of the run that differ from those the paper's claim was made
    at; ``others`` holds the recorded configs of the other data sets a
    claim reads (experiment -> config)."""
    out = []
    for key, v in claim.requires.items():
        name, ours = _required(key, claim.experiment, config, others or {})
        if ours != v:
            out.append(f"{name} = {ours!r} (paper: {v!r})")
    for key, default in (("dtype", None), ("matmul_precision", "float32")):
        if key in paper_settings and config.get(key, default) != paper_settings[key]:
            out.append(f"{key} = {config.get(key, default)!r} (paper: {paper_settings[key]!r})")
    for k, v in paper_settings["optimizer"].items():
        ours = config.get("optimizer", {}).get(k)
        if ours is None or not np.isclose(ours, v, rtol=1e-12, atol=0):
            out.append(f"optimizer.{k} = {ours!r} (paper: {v!r})")
    return out


def _rests_on(section: dict, est: Estimate) -> str:
    """The trials and data sizes a verdict rests on, in words (none when
    nothing was measured)."""
    if est.trials == 0:
        return ""
    sizes = section.get("sizes") or []
    where = f"sizes {', '.join(map(str, sizes))}" if 0 < len(sizes) <= 8 else f"{len(sizes)} sizes, {min(sizes)}-{max(sizes)}" if sizes else ""
    where = where or (f"n = {section['n']}" if "n" in section else "")
    where = where or (f"widths {min(section['widths'])}-{max(section['widths'])}" if section.get("widths") else "")
    epochs = section.get("epochs") or section.get("steps") or (max(section["checkpoints"]) if section.get("checkpoints") else None)
    what = "steps" if "steps" in section and "epochs" not in section else "epochs"
    if isinstance(epochs, list):
        epochs = max(epochs) if epochs else None
    return "; ".join(x for x in (f"{est.trials} trials", where, f"{epochs} {what}" if epochs else "") if x)


def verdict(claim: Claim, est: Estimate) -> str:
    """Our 95% interval against the claim's: ``overlaps``: reproduced when
    it meets it, contradicted when it misses it; ``inside``: reproduced when
    it lies wholly inside (an effect must be told from none), contradicted
    when wholly outside, inconclusive when it straddles an edge."""
    low, high = est.interval
    if not (np.isfinite(low) and np.isfinite(high)):
        return INCONCLUSIVE
    if high < claim.low or low > claim.high:
        return CONTRADICTED
    if claim.test == "overlaps" or (low > claim.low and high < claim.high):
        return REPRODUCED
    return INCONCLUSIVE


def _edges(claim: Claim) -> list[float]:
    return [e for e in (claim.low, claim.high) if np.isfinite(e)]


def settling_trials(claim: Claim, est: Estimate) -> int | None:
    """For an inconclusive verdict, the trials a rerun would need for the
    interval to clear the edge it straddles (the nearer to our mean), at
    the same mean and spread between trials; None otherwise, or where no
    number of trials would (our mean on the edge)."""
    if verdict(claim, est) != INCONCLUSIVE or est.trials < 2:
        return None
    low, high = est.interval
    centre, se = est.scale
    straddled = [e for e in _edges(claim) if low <= e <= high]
    if not straddled:
        return None
    edge = min((est.on_scale(e) for e in straddled), key=lambda e: abs(centre - e))
    return trials_to_settle(centre, se, est.trials, edge) if np.isfinite(edge) else None


def decisive_p(claim: Claim, est: Estimate) -> float | None:
    """The p-value of the test a verdict rests on, where it rests on one:
    a contradicted interval rejects the edge it misses; an ``inside``
    reproduced one rejects each edge (the largest p counts). None for a
    verdict that rejects nothing (an interval meeting a stated number,
    an inconclusive one)."""
    found = verdict(claim, est)
    centre, se = est.scale
    low, _ = est.interval
    if found == CONTRADICTED:
        edges = [claim.low] if low < claim.low else [claim.high]
    elif found == REPRODUCED and claim.test == "inside":
        edges = _edges(claim)
    else:
        return None
    ps = [t_p_value(centre - est.on_scale(e), se, est.trials - 1) for e in edges]
    return max(ps) if ps else 0.0


def holm_verdicts(claims: list[Claim], verdicts: list[str], p_values: list[float | None]) -> list[str]:
    """Each verdict under Holm's correction across the comparable claims:
    a rejection that does not stand turns a contradicted ``overlaps``
    claim into reproduced (a wider interval meets the number) and any other
    into inconclusive; a verdict resting on no rejection stands."""
    family = sum(v != NOT_COMPARABLE for v in verdicts)
    stands = holm([p if v != NOT_COMPARABLE else None for v, p in zip(verdicts, p_values)], family)
    out = []
    for claim, v, ok in zip(claims, verdicts, stands):
        if ok is False:
            v = REPRODUCED if (v == CONTRADICTED and claim.test == "overlaps") else INCONCLUSIVE
        out.append(v)
    return out


def _interval(claim: Claim) -> str:
    return f"[{claim.low:g}, {claim.high:g}]".replace("inf", "∞")


def _blank_row(claim: Claim, source: str) -> dict:
    """A claim's row before anything is measured: the paper's side, and "not comparable"."""
    return {
        "claim": claim.id,
        "group": claim.id.split("_")[0],  # E1-E6: the experiment, as the paper numbers them
        "short": claim.short or claim.id.replace("_", " "),
        "statement": claim.statement,
        "quote": claim.quote,
        "paper_source": claim.source,
        "paper_value": claim.value if claim.value is not None else np.nan,
        "paper_low": claim.low,
        "paper_high": claim.high,
        "unit": claim.unit,
        "test": claim.test,
        "reading": f"post hoc, beside {claim.post_hoc}" if claim.post_hoc else "fixed before the run",
        "ours": np.nan,
        "ours_se": np.nan,
        "ours_low": np.nan,
        "ours_high": np.nan,
        "method": "",
        "log_scale": False,  # the interval is made on the logs (a ratio): the figure draws the row so
        "trials": 0,
        "rests_on": "",
        "verdict": NOT_COMPARABLE,
        "trials_to_settle": np.nan,
        "p_value": np.nan,
        "holm_verdict": NOT_COMPARABLE,
        "why": "",
        "data": source,
        "settings": "",
    }


def _measured(claim: Claim, datasets: dict, diff: list[str]) -> tuple[Estimate, list[str]]:
    """The claim's estimate on the run's data sets, and the reasons it cannot
    be compared (``diff``, and what the measure or its trials say)."""
    try:
        est = measures()[claim.measure].func(*(datasets[e][1] for e in claim.uses), **claim.args)
    except NotMeasurable as err:
        est = Estimate(float("nan"), float("nan"), 0)
        diff = diff or [str(err)]
    except KeyError:  # the run has no such layer or depth: only possible at other settings
        est = Estimate(float("nan"), float("nan"), 0)
        diff = diff or [f"the data set has no {claim.args}"]
    if not diff and not (est.trials >= 2 and np.isfinite(est.value) and np.isfinite(est.se)):
        diff = [f"{est.trials} trial(s) measured (every other trial diverged or never got there); a verdict needs two or more"]
    return est, diff


def _judged(claim: Claim, est: Estimate) -> dict:
    """A comparable claim's verdict, the trials that would settle it, its p-value and why."""
    low, high = est.interval
    settle, p = settling_trials(claim, est), decisive_p(claim, est)
    out = {"verdict": verdict(claim, est), "trials_to_settle": np.nan if settle is None else settle, "p_value": np.nan if p is None else p}
    inside = "lies inside" if claim.test == "inside" else "meets"
    out["why"] = f"does our {LEVEL:.0%} interval [{low:.4g}, {high:.4g}] {inside} the paper's {_interval(claim)}?"
    if out["verdict"] == INCONCLUSIVE:
        out["why"] += f" It straddles an edge: {'about ' + str(settle) if settle else 'no number of'} trials would settle it at this mean and spread."
    return out


def _row(claim: Claim, datasets: dict, paper_settings: dict) -> dict:
    """One claim's row of the reproduction table."""
    source, ds = datasets.get(claim.experiment, ("", None))
    row = _blank_row(claim, source)
    missing = [e for e in claim.uses if datasets.get(e, ("", None))[1] is None]
    if missing:
        return {**row, "why": f"no {', '.join(missing)} data set in this run"}
    config = run_config(ds)
    others = {e: run_config(datasets[e][1]) for e in claim.uses if e != claim.experiment}
    settings = {k: _required(k, claim.experiment, config, others)[1] for k in claim.requires}
    row["settings"] = json.dumps({**settings, "dtype": config.get("dtype"), "optimizer": config.get("optimizer")}, sort_keys=True)
    est, diff = _measured(claim, datasets, differences(claim, config, paper_settings, others))
    low, high = est.interval
    row.update(ours=est.value, ours_se=est.se, ours_low=low, ours_high=high, trials=est.trials, rests_on=_rests_on(config.get(claim.experiment, {}), est))
    row["method"] = f"{est.method}{' on logs' if est.log else ''}, {est.trials - 1} df" if est.trials >= 2 else ""
    row["log_scale"] = est.log
    if diff:
        return {**row, "why": "run at other settings: " + "; ".join(diff)}
    if claim.unanswerable:
        return {**row, "why": f"this design cannot answer it: {claim.unanswerable}"}
    return {**row, **_judged(claim, est)}


def table(datasets: dict[str, tuple[str, xr.Dataset | None]], reference: str | Path | None = None):
    """One row per claim. ``datasets`` maps experiment name to
    ``(file name, merged data set or None)``. Returns a pandas DataFrame."""
    import pandas as pd

    paper_settings, claims = load_reference(reference)
    frame = pd.DataFrame([_row(claim, datasets, paper_settings) for claim in claims])
    p_values = [None if np.isnan(p) else float(p) for p in frame.p_value]
    frame["holm_verdict"] = holm_verdicts(claims, frame.verdict.tolist(), p_values)
    return frame


# -- the paper's numbers on figures, found by claim ---------------------------
def claims_by_id(ids) -> list[Claim]:
    """The claims of ``paper_values.yaml`` with these ids, in order; an id
    it lacks (a claim renamed) stops the figure, naming it."""
    by_id = {claim.id: claim for claim in load_reference(check=False)[1]}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise KeyError(f"no claim {missing} in paper_values.yaml: renamed? (a figure's PAPER_CLAIMS names them)")
    return [by_id[i] for i in ids]


def e7_claims(ds: xr.Dataset, ids) -> dict[tuple[str, int], Claim]:
    """Of the claims ``ids`` (E1's dead fractions, E2's largest mean sizes),
    those E7's data set can be held to, keyed ``("e1", layer)`` and ``("e2",
    depth)``: those whose settings its run has (E2's n the paper's largest)."""
    settings = load_reference(check=False)[0]
    config = run_config(ds)
    e2 = {**config, "size": {**config.get("size", {}), "sizes": [ds.attrs["e2_n"]]}}
    out = {}
    for claim in claims_by_id(ids):
        if claim.experiment == "degenerate" and not differences(claim, config, settings):
            out["e1", int(claim.args["layer"])] = claim
        elif claim.experiment == "size" and not differences(claim, e2, settings):
            out["e2", int(claim.args["depth"])] = claim
    return out


def dead_band(ds: xr.Dataset, ids) -> tuple[float, float] | None:
    """The paper's interval for the E1 layer of E7's data set, if the run can
    be compared with it."""
    claim = e7_claims(ds, ids).get(("e1", int(ds.layer.max())))
    return None if claim is None else (claim.low, claim.high)


def size_bands(ds: xr.Dataset, ids) -> dict[int, tuple[float, float]]:
    """The paper's interval for E2's largest mean size, per depth, where E7's
    E2 point is at the paper's settings (its n the paper's largest)."""
    return {depth: (c.low, c.high) for (kind, depth), c in e7_claims(ds, ids).items() if kind == "e2"}


def dead_points(ids) -> dict[int, tuple[float, float, float]]:
    """The paper's E1 values of the claims ``ids``, layer -> (value, low, high)."""
    return {claim.args["layer"]: (claim.value, claim.low, claim.high) for claim in claims_by_id(ids) if claim.value is not None}


# -- what a figure's run changed from the paper ----------------------------------
def _section_differences(ours: dict, theirs: dict, prefix: str = "") -> list[str]:
    out = []
    for key in theirs:
        if key not in ours or key in SPEED_ONLY or ours[key] == theirs[key]:
            continue
        if isinstance(ours[key], dict) and isinstance(theirs[key], dict):  # E7's sensitivity.size
            out += _section_differences(ours[key], theirs[key], f"{prefix}{key}.")
        else:
            out.append(f"{prefix}{key} {_shown(ours[key])} (paper {_shown(theirs[key])})")
    return out


SPEED_ONLY = ("trials_per_job", "pack_width", "pack", "report_layers")  # keys that change no number


def _shown(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, list) and len(value) > 4 and all(isinstance(v, (int, float)) for v in value):
        return f"{min(value):g}-{max(value):g} ({len(value)})"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def paper_differences(run: dict, paper: dict, section: str) -> list[str]:
    """The settings of ``section`` (and precision, optimizer) where a run's
    recorded config differs from the paper's (``config/paper.yaml``), as
    ``key ours (paper theirs)``, for a figure's footer."""
    out = _section_differences(run.get(section, {}), paper.get(section, {}))
    for key in ("dtype", "matmul_precision"):
        if key in run and run[key] != SETTINGS[key]:
            out.append(f"{key} {run[key]} (paper {SETTINGS[key]})")
    for key, value in SETTINGS["optimizer"].items():
        mine = run.get("optimizer", {}).get(key)
        if mine is not None and not np.isclose(mine, value, rtol=1e-12, atol=0):
            out.append(f"Adadelta {key} {mine:g} (paper {value:g})")
    return out
