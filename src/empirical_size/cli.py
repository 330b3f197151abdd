"""Command line: the workflow's rules call these, and so can a user.

    python -m empirical_size train --job size --spec '{"depth": 2, ...}' --out job.nc
    python -m empirical_size merge --experiment size --grid depth n --out size.nc job1.nc job2.nc
    python -m empirical_size plot fig1 --data size.nc --out fig1.png
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from .plan.registry import EXPERIMENTS, FIGURES, TABLES

log = logging.getLogger("empirical_size")

# the experiments with jobs of their own (E7's are E1's and E2's jobs), with merges, figures and tables: their records'
TRAINED = tuple(name for name, e in EXPERIMENTS.items() if e.trained_by is None)
MERGED = tuple(name for name, e in EXPERIMENTS.items() if e.merge is not None)
# FIGURES and TABLES (the registry's): drawn by <package>.figure.FIGURES, made by <package>.analysis.TABLES


def _own(module: str, name: str):
    """``name`` of an experiment's module (its FIGURES, its TABLES, its merge)."""
    import importlib

    return getattr(importlib.import_module(module), name)


def _spec(text: str) -> dict:
    if text.startswith("@"):
        text = Path(text[1:]).read_text()
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as err:
        raise SystemExit(f"--spec is not valid JSON: {err}") from err
    if not isinstance(spec, dict):
        raise SystemExit("--spec must be a JSON object")
    return spec


def _train(args) -> None:
    from .training.job import train

    train(
        args.job, _spec(args.spec), args.out, args.backend, args.threads, args.progress_every,
        args.checkpoint, args.checkpoint_every, args.checkpoint_seconds,
    )  # fmt: skip


def _merge(args) -> None:
    from .analysis.merge import merge_jobs
    from .training.storage import write_atomic

    broadcast = {}
    for item in args.broadcast or []:
        name, _, values = item.partition("=")
        broadcast[name] = values.split(",")
    e = EXPERIMENTS[args.experiment]
    if e.merge and e.merge.function:  # its own merge (E5: its job and its frequency sweep's)
        module, _, function = e.merge.function.partition(":")
        ds = _own(module, function)(args.inputs, e.variables)
    else:
        grid = args.grid if args.grid is not None else e.merge.grid  # the record's unless given
        ds = merge_jobs(args.inputs, grid, e.variables, args.experiment, broadcast)
        if e.merge.finish:  # E3: its batch-size sweep moved out of the variants
            ds = _own(*e.merge.finish.partition(":")[::2])(ds)
    if args.config:
        ds.attrs["config"] = json.dumps(_spec(args.config), sort_keys=True)
    if args.attrs:
        ds.attrs.update(_spec(args.attrs))
    write_atomic(ds, args.out)
    log.info("merged %d job files into %s: %s", len(args.inputs), args.out, dict(ds.sizes))
    if ds.attrs.get("diverged_trials"):
        log.warning("%d trial runs diverged (NaN or infinite); figures leave them out", ds.attrs["diverged_trials"])


def _plot(args) -> None:
    from .analysis import plots, reproduction
    from .training.storage import load

    ds = load(args.data)
    if args.cmap is None:
        args.cmap = plots.DEFAULT_CMAP
    e = FIGURES[args.figure]
    fig = _own(f"{e.package}.figure", "FIGURES")[args.figure](ds, args)
    if args.paper:
        import yaml

        paper = yaml.safe_load(Path(args.paper).read_text())
        run = reproduction.run_config(ds)
        sections = e.paper_sections or (e.name,)
        differences = [d for section in sections for d in reproduction.paper_differences(run, paper, section)]
        plots.footer(fig, list(dict.fromkeys(differences)))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    plots.save(fig, args.out)
    log.info("drew %s", args.out)


def _write_csv(frame, out: str) -> None:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(out).with_suffix(".csv.part")
    frame.to_csv(tmp, index=False, float_format="%.6g")
    tmp.replace(out)
    log.info("wrote %s", out)


def _table(args) -> None:
    from .training.storage import load

    e = TABLES[args.table]
    frame = _own(f"{e.package}.analysis", "TABLES")[args.table](load(args.data, required=e.variables))
    _write_csv(frame, args.out)


def _pair_list(items: list[str], what: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"{what}: expected NAME=PATH, got {item!r}")
        out.append((key, value))
    return out


def _pairs(items: list[str], what: str) -> dict[str, str]:
    return dict(_pair_list(items, what))


def _reproduce(args) -> None:
    from .analysis import reproduction
    from .training.storage import load

    data = {name: (path, load(path)) for name, path in _pairs(args.data, "--data").items()}
    frame = reproduction.table(data)
    _write_csv(frame, args.out)
    for row in frame.itertuples():
        log.info("%-22s %-15s %s", row.claim, row.verdict, row.why)


def _sensitivity_merge(args) -> None:
    from .experiments.sensitivity.merge import from_files
    from .training.storage import write_atomic

    config = _spec(args.config) if args.config else {}
    ds = from_files(_pairs(args.degenerate, "--degenerate"), _pair_list(args.size, "--size"), _spec(args.settings), config)
    if args.config:
        ds.attrs["config"] = json.dumps(config, sort_keys=True)
    write_atomic(ds, args.out)
    log.info("merged %d settings at depths %s into %s", ds.sizes["setting"], ds.depth.values.tolist(), args.out)


def _report_text(args) -> None:
    from .analysis.report import write_landing

    write_landing(args.description, _pairs(args.tables, "--tables"), args.out, figure=args.figure)
    log.info("wrote %s", args.out)


def _reproduction_plot(args) -> None:
    from .analysis.reproduction_figure import draw

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    draw(args.table, args.out, dpi=args.dpi)
    log.info("drew %s", args.out)


def _knots(args) -> None:
    from .experiments.knots.merge import from_files
    from .training.storage import write_atomic

    ds = from_files(args.init, args.trained, args.minima, args.linearity)
    if args.config:
        ds.attrs["config"] = json.dumps(_spec(args.config), sort_keys=True)
    write_atomic(ds, args.out)
    log.info("wrote %s", args.out)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m empirical_size", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train one job's trials and write its NetCDF file")
    t.add_argument("--job", choices=TRAINED, default="size", help="the experiment whose job it is")
    t.add_argument(
        "--backend", choices=("tensorflow", "jax"), default="tensorflow",
        help="Keras' backend where the job trains in Keras (a GPU, or $EMPIRICAL_SIZE_PATH naming a Keras loop); on a CPU the kernel trains without either",
    )  # fmt: skip
    t.add_argument("--spec", required=True, help="job spec as JSON, or @file")
    t.add_argument("--out", required=True)
    t.add_argument("--threads", type=int, default=None, help="CPU threads (the kernel's, or TensorFlow's inter-op threads)")
    t.add_argument(
        "--progress-every", type=float, default=float(os.environ.get("EMPIRICAL_SIZE_PROGRESS_EVERY", 10.0)),
        help="seconds between progress lines (default: $EMPIRICAL_SIZE_PROGRESS_EVERY or 10)",
    )
    t.add_argument("--checkpoint", help="save the training state here and resume from it (training jobs)")
    t.add_argument(
        "--checkpoint-every", type=int, default=int(os.environ.get("EMPIRICAL_SIZE_CHECKPOINT_EVERY", 1)),
        help="records between checkpoints (default: $EMPIRICAL_SIZE_CHECKPOINT_EVERY or 1)",
    )
    t.add_argument(
        "--checkpoint-seconds", type=float, default=None,
        help="also checkpoint between records once this many seconds have passed since the last (default: $EMPIRICAL_SIZE_CHECKPOINT_SECONDS or 600)",
    )  # fmt: skip
    t.set_defaults(func=_train)

    m = sub.add_parser("merge", help="merge job files into one data set")
    m.add_argument("--experiment", required=True, choices=MERGED)
    m.add_argument("--grid", nargs="*", default=None, help="scalar coordinates that index the jobs (default: the experiment record's)")
    m.add_argument("--config", help="the experiment's config section (JSON), stored as an attribute")
    m.add_argument("--attrs", help="extra attributes (JSON object) for the merged data set")
    m.add_argument("--broadcast", nargs="*", metavar="DIM=V1,V2", help="files without coordinate DIM stand for each listed value")
    m.add_argument("--out", required=True)
    m.add_argument("inputs", nargs="+")
    m.set_defaults(func=_merge)

    f = sub.add_parser("plot", help="draw a figure from a merged data set")
    f.add_argument("figure", choices=tuple(FIGURES))
    f.add_argument("--data", required=True)
    f.add_argument("--out", required=True)
    f.add_argument("--cmap", default=None, help="colour map of the heat maps (default viridis; the paper's: jet)")
    f.add_argument("--paper", help="the paper's config (config/paper.yaml): a footer names the settings that differ from it")
    f.add_argument("--dpi", type=int, default=120)
    f.add_argument("--variant", default="keep", help="fig2: the batching variant")
    f.add_argument("--marked", type=int, nargs="*", default=[3, 10, 20], help="degenerate: layers to mark")
    f.set_defaults(func=_plot)

    k = sub.add_parser("knots-merge", aliases=["knots"], help="E6 (the old name `knots` still works): pieces at initialisation, after a few steps and during E4/E5 training, in one data set")
    k.add_argument("--init", required=True, help="the knots job file (pieces at initialisation)")
    k.add_argument(
        "--trained", nargs="*", default=[],
        help="the knots training job file (pieces after a few steps from the paper's initialisation); none: knots.steps is empty",
    )  # fmt: skip
    k.add_argument("--minima", help="merged E4 data set (with recorded weights)")
    k.add_argument("--linearity", help="merged E5 data set (with recorded weights)")
    k.add_argument("--config")
    k.add_argument("--out", required=True)
    k.set_defaults(func=_knots)

    tb = sub.add_parser("table", help="write an experiment's summary table (CSV)")
    tb.add_argument("table", choices=tuple(TABLES))
    tb.add_argument("--data", required=True)
    tb.add_argument("--out", required=True)
    tb.set_defaults(func=_table)

    r = sub.add_parser("reproduce", help="the paper's claims against merged data sets (CSV)")
    r.add_argument("--data", nargs="+", required=True, metavar="EXPERIMENT=PATH", help="merged data sets, one per experiment the claims read (reproduction.data_sets())")
    r.add_argument("--out", required=True)
    r.set_defaults(func=_reproduce)

    rt = sub.add_parser("report-text", help="the report's first page: a description, then the tables (reStructuredText)")
    rt.add_argument("--description", required=True, help="the workflow's own text (reStructuredText)")
    rt.add_argument("--tables", nargs="+", required=True, metavar="NAME=CSV", help="reproduction first, then the others")
    rt.add_argument("--figure", help="a PNG shown above the reproduction table (the forest plot), embedded in the page")
    rt.add_argument("--out", required=True)
    rt.set_defaults(func=_report_text)

    rp = sub.add_parser("reproduction-plot", help="the reproduction table at a glance: each claim's interval against the paper's (PNG)")
    rp.add_argument("--table", required=True, help="results/reproduction.csv")
    rp.add_argument("--dpi", type=int, default=120)
    rp.add_argument("--out", required=True)
    rp.set_defaults(func=_reproduction_plot)

    s = sub.add_parser("sensitivity-merge", help="E7: merge each setting's E1 and E2 job files")
    s.add_argument("--degenerate", nargs="+", required=True, metavar="SETTING=PATH")
    s.add_argument("--size", nargs="+", required=True, metavar="SETTING=PATH", help="E2 job files, one per setting and depth")
    s.add_argument("--settings", required=True, help="JSON: setting label -> {knob: value}")
    s.add_argument("--config", help="the config it came from (JSON), stored as an attribute")
    s.add_argument("--out", required=True)
    s.set_defaults(func=_sensitivity_merge)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError) as err:
        log.error("%s", err)
        return 1
    return 0
