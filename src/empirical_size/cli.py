"""Command line: the workflow's rules call these, and so can a user.

    python -m empirical_size train --backend tensorflow --spec '{"depth": 2, ...}' --out job.nc
    python -m empirical_size merge --experiment size --grid depth n --out size.nc job1.nc job2.nc
    python -m empirical_size plot fig1 --data size.nc --out fig1.png
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

log = logging.getLogger("empirical_size")

# experiment job kinds: name -> (module, data variables every job file has)
JOBS = {"noise_fit": ("empirical_size.experiments.noise_fit", ("mse", "size", "sum_y2"))}
FIGURES = ("fig1",)


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
    from . import backend

    spec = _spec(args.spec)
    backend.select(args.backend, spec.get("dtype", "float32"), args.threads)
    import importlib

    module = importlib.import_module(JOBS[args.job][0])
    from .storage import write_atomic

    job = module.Job.from_dict(spec)
    ds = module.run(job, progress_every=args.progress_every)
    write_atomic(ds, args.out)
    log.info("wrote %s (%.1f s)", args.out, ds.attrs["wall_seconds"])


def _merge(args) -> None:
    from .merge import merge_jobs
    from .storage import write_atomic

    ds = merge_jobs(args.inputs, args.grid, JOBS[args.job][1], args.experiment)
    if args.config:
        ds.attrs["config"] = json.dumps(_spec(args.config), sort_keys=True)
    write_atomic(ds, args.out)
    log.info("merged %d job files into %s: %s", len(args.inputs), args.out, dict(ds.sizes))


def _plot(args) -> None:
    from . import plots
    from .storage import load

    ds = load(args.data)
    fig = {"fig1": plots.figure1}[args.figure](ds, cmap=args.cmap, dpi=args.dpi)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    plots.save(fig, args.out)
    log.info("drew %s", args.out)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m empirical_size", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train one job's trials and write its NetCDF file")
    t.add_argument("--job", choices=sorted(JOBS), default="noise_fit")
    t.add_argument("--backend", choices=("tensorflow", "jax"), default="tensorflow")
    t.add_argument("--spec", required=True, help="job spec as JSON, or @file")
    t.add_argument("--out", required=True)
    t.add_argument("--threads", type=int, default=None, help="CPU threads for TensorFlow")
    t.add_argument("--progress-every", type=float, default=10.0, help="seconds between progress lines")
    t.set_defaults(func=_train)

    m = sub.add_parser("merge", help="merge job files into one data set")
    m.add_argument("--job", choices=sorted(JOBS), default="noise_fit")
    m.add_argument("--experiment", required=True)
    m.add_argument("--grid", nargs="+", required=True, help="scalar coordinates that index the jobs")
    m.add_argument("--config", help="the experiment's config section (JSON), stored as an attribute")
    m.add_argument("--out", required=True)
    m.add_argument("inputs", nargs="+")
    m.set_defaults(func=_merge)

    f = sub.add_parser("plot", help="draw a figure from a merged data set")
    f.add_argument("figure", choices=FIGURES)
    f.add_argument("--data", required=True)
    f.add_argument("--out", required=True)
    f.add_argument("--cmap", default="jet")
    f.add_argument("--dpi", type=int, default=120)
    f.set_defaults(func=_plot)
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
