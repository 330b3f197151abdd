"""The paper's figures, drawn from merged data sets. Each function returns
its matplotlib Figure so tests can inspect panels and labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.cm  # noqa: E402
import matplotlib.colors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from .merge import without_diverged  # noqa: E402
from .stats import mean_se  # noqa: E402

# Readable at the report's width; colour-blind safe colours (Okabe-Ito) for
# lines, and a perceptually uniform default map (plot.cmap: the paper's
# blue-to-red "jet" stays available).
plt.rcParams.update({"font.size": 11, "axes.titlesize": 11, "legend.fontsize": 9})
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
DEFAULT_CMAP = "viridis"


def _edges(values: np.ndarray) -> np.ndarray:
    """Cell edges around (possibly uneven) centres, for pcolormesh."""
    v = np.asarray(values, dtype=float)
    if v.size == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def heatmap(ax, field: xr.DataArray, cmap: str, title: str, limits: tuple[float, float] | None = None):
    """Rows ``n`` increasing downward, one equal row per size (the sizes are
    labels, not a scale: rows of uneven sizes are not stretched), columns
    ``epoch`` increasing to the right; ``limits`` the colour range, shared by
    a figure's panels of one quantity."""
    sizes = field.n.values
    rows = np.arange(len(sizes) + 1)
    vmin, vmax = limits if limits is not None else (None, None)
    mesh = ax.pcolormesh(_edges(field.epoch.values), rows, field.transpose("n", "epoch").values, cmap=cmap, shading="flat", vmin=vmin, vmax=vmax)
    ticks = np.unique(np.linspace(0, len(sizes) - 1, min(len(sizes), 10)).round().astype(int))
    ax.set_yticks(ticks + 0.5, [str(sizes[i]) for i in ticks])
    ax.set_ylim(len(sizes), 0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("n (a row per size)")
    ax.set_title(title)
    return mesh


def _limits(*fields: xr.DataArray) -> tuple[float, float]:
    """One colour range for panels of one quantity: the data's finite range."""
    values = np.concatenate([np.asarray(f.values, float).ravel() for f in fields])
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)


def footer(fig: Figure, differences: list[str]) -> None:
    """A footer under the figure naming the settings that are not the paper's
    (one line, wrapped to the figure's width when long)."""
    if differences:
        import textwrap

        text = "Not the paper's settings: " + "; ".join(differences)
        width = int(fig.get_figwidth() * 15)  # characters of 8.5 pt a line
        fig.text(0.5, -0.01, "\n".join(textwrap.wrap(text, width)), ha="center", va="top", fontsize=8.5, color="0.25")


def _divergence_note(count: int, total: int) -> str:
    return f"; {count} of {total} trial runs diverged and are left out" if count else ""


def figure1(ds: xr.Dataset, cmap: str = DEFAULT_CMAP, dpi: int = 120) -> Figure:
    """Figure 1: per depth, mean MSE and mean size over trials against data
    size and epoch, and the final size against ``n`` beside ``sum(y^2)``.
    Diverged trials are left out of the means, and counted in the title."""
    ds, diverged = without_diverged(ds)
    depths = ds.depth.values
    mean = ds[["mse", "size", "sum_y2"]].mean("trial")
    sem = mean_se(ds[["size", "sum_y2"]], "trial")[1] if ds.sizes["trial"] > 1 else None
    fig = plt.figure(figsize=(14, 3.6 * len(depths) + 0.6), dpi=dpi, layout="constrained")
    grid = fig.add_gridspec(len(depths), 3, width_ratios=[1, 1, 0.7])
    limits = {var: _limits(mean[var]) for var in ("mse", "size")}
    columns = {"mse": [], "size": []}
    for row, depth in enumerate(depths):
        m = mean.sel(depth=depth)
        for col, (var, what) in enumerate((("mse", "training MSE"), ("size", "size"))):
            ax = fig.add_subplot(grid[row, col])
            heatmap(ax, m[var], cmap, f"depth {depth}: {what}", limits[var])
            columns[var].append(ax)
        ax = fig.add_subplot(grid[row, 2])
        final = m["size"].isel(epoch=-1)
        err = None if sem is None else sem["size"].sel(depth=depth).isel(epoch=-1).values
        ax.errorbar(m.n.values, final.values, yerr=err, marker="o", ms=3, color=OKABE_ITO[0], label=f"size at epoch {int(m.epoch[-1])} (± 1 s.e.)")
        ax.plot(m.n.values, m.sum_y2.values, "k--", label="perfect fit: sum(y²)")
        ax.set_xlabel("n (training points)")
        ax.set_ylabel("size")
        ax.set_title(f"depth {depth}: final size")
        ax.legend(fontsize="small", loc="upper left")  # the curves rise from the lower left
    for var, label in (("mse", "mean training MSE"), ("size", "mean size")):
        fig.colorbar(_mappable(cmap, limits[var]), ax=columns[var], label=f"{label} (one scale for every depth)", shrink=0.9)
    trials = ds.sizes["trial"]
    total = int(np.prod([ds.sizes[d] for d in ("depth", "n", "trial")]))
    fig.suptitle(
        f"Error and size of ReLU networks fitting noise, mean of {trials} trials{_divergence_note(diverged, total)}\n"
        "size = sum over the n training points of f(x)²; a perfect fit of the noise has size sum(y²)"
    )
    return fig


def _mappable(cmap: str, limits: tuple[float, float]):
    """A colour bar's scale, shared by the panels it stands for."""
    return matplotlib.cm.ScalarMappable(norm=matplotlib.colors.Normalize(*limits), cmap=cmap)


def save(fig: Figure, path: str) -> None:
    fig.savefig(path, bbox_inches="tight", pad_inches=0.15)  # the footer below the axes too
    plt.close(fig)


def figure2(ds: xr.Dataset, variant: str, cmap: str = DEFAULT_CMAP, dpi: int = 120, vmax: float | None = None) -> Figure:
    """Figure 2 (E3): mean training MSE per depth with mini-batches of the
    given variant (``keep`` is the paper's); diverged trials left out."""
    every, _ = without_diverged(ds)
    data, diverged = without_diverged(ds.sel(variant=variant))
    depths = data.depth.values
    fig, axes = plt.subplots(1, len(depths), figsize=(5.2 * len(depths), 4.2), dpi=dpi, layout="constrained", squeeze=False)
    mean = data.mse.mean("trial")
    # one scale for every depth and every variant: fig2, fig2_drop, fig2_resample compare by colour
    limits = _limits(every.mse.mean("trial")) if vmax is None else (_limits(mean)[0], vmax)
    for ax, depth in zip(axes[0], depths):
        heatmap(ax, mean.sel(depth=depth), cmap, f"depth {depth}: training MSE", limits)
    fig.colorbar(_mappable(cmap, limits), ax=list(axes[0]), label="mean training MSE (one scale for every depth and variant)", shrink=0.9)
    batch = ds.attrs.get("batch_size", "?")
    total = int(np.prod([data.sizes[d] for d in ("depth", "n", "trial")]))
    note = _divergence_note(diverged, total)
    fig.suptitle(f"Mini-batch training ({variant}: batch {batch} when n >= {ds.attrs.get('full_batch_below', '?')}), mean of {data.sizes['trial']} trials{note}")
    return fig


def _ordered(values, preferred) -> list:
    """``values`` in the order of ``preferred``, unknown ones last."""
    values = list(values)
    return [v for v in preferred if v in values] + [v for v in values if v not in preferred]


def figure2_compare(ds: xr.Dataset, cmap: str = DEFAULT_CMAP, dpi: int = 120) -> Figure:
    """The batching variants side by side (columns) for each depth (rows),
    on one colour scale; diverged trials left out."""
    ds, diverged = without_diverged(ds)
    mean = ds.mse.mean("trial")
    limits = _limits(mean)
    variants, depths = _ordered(ds.variant.values, ("keep", "drop", "resample")), ds.depth.values
    fig, axes = plt.subplots(len(depths), len(variants), figsize=(4.8 * len(variants), 3.6 * len(depths)), dpi=dpi, layout="constrained", squeeze=False)
    for r, depth in enumerate(depths):
        for c, variant in enumerate(variants):
            heatmap(axes[r, c], mean.sel(depth=depth, variant=variant), cmap, f"{variant}, depth {depth}", limits)
    fig.colorbar(_mappable(cmap, limits), ax=axes.ravel().tolist(), label="mean training MSE (one scale for every panel)", shrink=0.8)
    total = int(np.prod([ds.sizes[d] for d in ("variant", "depth", "n", "trial")]))
    fig.suptitle(f"Training MSE by batching variant, mean of {ds.sizes['trial']} trials{_divergence_note(diverged, total)}")
    return fig


def figure3(ds: xr.Dataset, dpi: int = 120) -> Figure:
    """Figure 3 (E4): target and each trial's output at each checkpoint,
    one row per bias initialisation."""
    variants, epochs = _ordered(ds.variant.values, ("zero", "uniform")), ds.epoch.values
    fig, axes = plt.subplots(len(variants), len(epochs), figsize=(4.5 * len(epochs), 3.4 * len(variants)), dpi=dpi, layout="constrained", squeeze=False, sharey=True)
    for r, variant in enumerate(variants):
        v = ds.sel(variant=variant)
        for c, epoch in enumerate(epochs):
            ax = axes[r, c]
            ax.plot(v.data_x, v.data_y, ".", color="0.6", ms=2, label="data")
            ax.plot(v.x, v.target, color="k", lw=1.2, ls="--", label="target (sawtooth)")
            for k, trial in enumerate(v.trial.values):
                gone = "diverged" in v and bool(v.diverged.sel(trial=trial))
                color = OKABE_ITO[k % len(OKABE_ITO)]
                ax.plot(v.x, v.output.sel(trial=trial, epoch=epoch), lw=1.5, color=color, label=f"trial {trial}" + (" (diverged)" if gone else ""))
            ax.set_title(f"{variant} biases, epoch {epoch}")
            ax.set_xlabel("x")
            if c == 0:
                ax.set_ylabel("f(x)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center")
    fig.suptitle("Local minima: network outputs on a sawtooth")
    return fig


ROW_LABELS = {"X+N": "trained on X + N", "X": "trained on X", "N": "trained on N (pure)", "diff": "X + N minus mean of X (diff)"}


def figure4(ds: xr.Dataset, dpi: int = 120) -> Figure:
    """Figure 4 (E5): output functions at each checkpoint; rows X + N, X, N
    and the diff, each with the data it is compared with."""
    from .experiments.linearity.analysis import diff_and_pure

    checkpoints = ds.attrs["checkpoints"]
    grid_diff = diff_and_pure(ds, "output")["diff"]
    rows = [("X+N", ds.output.sel(set="X+N"), ds.spline + ds.noise), ("X", ds.output.sel(set="X"), ds.spline),
            ("N", ds.output.sel(set="N"), ds.noise), ("diff", grid_diff, ds.noise)]
    fig, axes = plt.subplots(len(rows), len(checkpoints), figsize=(3.2 * len(checkpoints), 2.6 * len(rows)), dpi=dpi, layout="constrained", squeeze=False, sharex=True, sharey="row")
    for r, (name, out, target) in enumerate(rows):
        for c, epoch in enumerate(checkpoints):
            ax = axes[r, c]
            ax.plot(ds.data_x, target, "k.", ms=3)
            for trial in out.trial.values:
                ax.plot(ds.x, out.sel(trial=trial, epoch=epoch), lw=1)
            if r == 0:
                ax.set_title(f"epoch {epoch}")
            if c == 0:
                ax.set_ylabel(ROW_LABELS[name])
            if r == len(rows) - 1:
                ax.set_xlabel("x")
    fig.suptitle(f"Linearity of training: {ds.sizes['trial']} trials per training set")
    return fig


def figure5(ds: xr.Dataset, dpi: int = 120) -> Figure:
    """Figure 5 (E5): MSE against N on the training inputs of the pure and
    diff fits at equally spaced epochs; mean over trials and its range.
    With E5's frequency sweep (``freq_mse``), a second panel: the epochs to
    learn half of a sine's variance against its frequency (:func:`frequency_panel`)."""
    from .experiments.linearity.analysis import diff_and_pure

    epochs = ds.attrs["mse_epochs"]
    parts = diff_and_pure(ds.sel(epoch=epochs))
    sweep = "freq_mse" in ds
    fig, axes = plt.subplots(1, 1 + sweep, figsize=(15, 5.4) if sweep else (8.5, 4.6), dpi=dpi, layout="constrained", squeeze=False)
    ax = axes[0, 0]
    styles = (("pure", "mse_pure", OKABE_ITO[0], "o", "-"), ("diff", "mse_diff", OKABE_ITO[1], "s", "--"))
    for name, var, color, mark, ls in styles:
        m = parts[var]
        ax.plot(m.epoch, m.mean("trial"), marker=mark, ls=ls, color=color, label=f"{name}: mean of {m.sizes['trial']} trials")
        # ranges as outlines, not translucent fills: overlapping fills mix into a colour of neither
        ax.plot(m.epoch, m.min("trial"), ls=":", color=color, lw=1, label=f"{name}: min and max over trials")
        ax.plot(m.epoch, m.max("trial"), ls=":", color=color, lw=1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE against N on the training inputs")
    ax.set_yscale("log")
    plain = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.3g}")  # 0.045, not 4.5 x 10^-2
    ax.yaxis.set_major_formatter(plain)
    low, high = ax.get_ylim()
    if high / low < 10:  # within a decade the major ticks alone would be one or none: label the minor ones
        ax.yaxis.set_minor_formatter(plain)
    ax.grid(which="both", axis="y", alpha=0.25)
    dropped = int(ds.diverged.sum()) if "diverged" in ds else 0
    title = "Is the noise learned at the same rate with and without X?" + _divergence_note(dropped, ds.diverged.size if dropped else 0)
    if not sweep:
        fig.legend(loc="outside right center")
        fig.suptitle(title)
        return fig
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small")
    ax.set_title(title, fontsize="medium")
    frequency_panel(axes[0, 1], ds)
    return fig


def frequency_panel(ax, ds: xr.Dataset) -> None:
    """E5's frequency sweep: the epochs each trial takes to learn half of its
    sine's variance (:func:`~empirical_size.claims.linearity.epochs_to_learn`,
    which the claim E5_frequency reads)
    against the frequency, log-log, per trial and their mean, beside a line
    proportional to k^2 through the lowest frequency's mean (spectral bias:
    Basri et al., NeurIPS 2019). A trial that did not get there is drawn at
    one record past the last, open."""
    from .claims.linearity import epochs_to_learn

    epochs, reached = epochs_to_learn(ds)
    ks = ds.frequency.values.astype(float)
    last = int(ds.freq_epoch.values[-1])
    trials = ds.sizes["trial"]
    grey = "0.55"
    spread = np.exp(np.linspace(-0.05, 0.05, trials)) if trials > 1 else np.ones(1)  # trials side by side, not on top of each other
    for i in range(trials):
        e, r = epochs.isel(trial=i).values, reached.isel(trial=i).values
        label = f"each of {trials} trials" if i == 0 else None
        ax.plot(ks[r] * spread[i], e[r], "o", ms=4, color=grey, alpha=0.8, label=label)
        ax.plot(ks[~r] * spread[i], e[~r], "o", ms=4, mfc="none", color=grey)
    mean = epochs.mean("trial").values  # diverged trials (NaN) left out
    full = (reached | epochs.isnull()).all("trial").values
    color = OKABE_ITO[2]
    ax.plot(ks, mean, "-", color=color, lw=1.5)
    ax.plot(ks[full], mean[full], "s", ms=7, color=color, label="mean over trials")
    if not full.all():
        ax.plot(ks[~full], mean[~full], "s", ms=7, mfc="white", color=color, label="mean, a lower bound (some trials not there)")
    if not full.all():
        ax.plot([], [], "o", ms=4, mfc="none", color=grey, label=f"open: not there by epoch {last}, drawn one record past it")
    if np.isfinite(mean[0]):
        ax.plot(ks, mean[0] * (ks / ks[0]) ** 2, "--", color="0.25", lw=1, label="∝ k² through the lowest frequency's mean\n(spectral bias, Basri et al. 2019)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ks, [f"{k:g}" for k in ks])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    plain = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}")  # 40, not 4 x 10^1
    ax.yaxis.set_major_formatter(plain)
    low, high = ax.get_ylim()
    # about a decade: label the minor ticks too, plainly; more: the major ones only
    ax.yaxis.set_minor_formatter(plain if high / low < 20 else matplotlib.ticker.NullFormatter())
    ax.grid(which="major", alpha=0.25)
    ax.set_xlabel("frequency k of the target sin(2πk(x − lo)/(hi − lo) + phase), cycles over the domain")
    ax.set_ylabel("epochs to learn half of the target's variance\n(first recorded epoch with 1 − MSE/variance ≥ 1/2)")
    diverged = int((~np.isfinite(ds.freq_mse)).any("freq_epoch").sum())
    note = f"; {diverged} of {epochs.size} trial runs diverged and are left out" if diverged else ""
    ax.set_title(f"Do higher frequencies take longer to learn?{note}", fontsize="medium")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize="small")


def degenerate_figure(ds: xr.Dataset, marked=(3, 10, 20), dpi: int = 120, paper: dict[int, tuple[float, float, float]] | None = None) -> Figure:
    """E1: fraction of dead neurons per hidden layer, mean and standard error
    over experiments, at initialisation and after training, on the data and
    on a fresh sample; the marked layers, and ``paper``'s values (layer ->
    value, low, high) where the run has the layer."""
    frac = ds.dead / ds.attrs["width"]
    trials = ds.sizes["trial"]
    fig, ax = plt.subplots(figsize=(9.5, 4.8), dpi=dpi, layout="constrained")
    styles = {("init", "data"): (OKABE_ITO[0], "--"), ("init", "fresh"): (OKABE_ITO[1], "--"), ("trained", "data"): (OKABE_ITO[0], "-"), ("trained", "fresh"): (OKABE_ITO[1], "-")}
    for (stage, sample), (color, ls) in styles.items():
        f = frac.sel(stage=stage, sample=sample)
        err = mean_se(f, "trial")[1] if trials > 1 else None
        ax.errorbar(f.layer, f.mean("trial"), yerr=err, color=color, ls=ls, marker="o", ms=3, capsize=2, label=f"{stage}, dead on {sample}")
    layers = set(int(v) for v in ds.layer.values)
    for layer in marked:
        ax.axvline(layer, color="0.6", lw=0.8, ls=":")
        ax.annotate(f"layer {layer}", (layer, 1), xycoords=("data", "axes fraction"), xytext=(-3, -12), textcoords="offset points", ha="right", fontsize="small", color="0.4")
    shown = {layer: v for layer, v in (paper or {}).items() if layer in layers}
    if shown:
        xs = sorted(shown)
        values = np.array([shown[x] for x in xs])
        ax.errorbar(xs, values[:, 0], yerr=[values[:, 0] - values[:, 1], values[:, 2] - values[:, 0]], fmt="D", color="k", ms=6, capsize=4, zorder=5, label="paper, dead on the data after training")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("hidden layer (from the input)")
    ax.set_ylabel("fraction of neurons dead")
    ax.set_title(f"Degenerate neurons (mean ± 1 s.e. of {trials} experiments)")
    fig.legend(loc="outside right center", fontsize="small")
    return fig


def _pieces_by_width(ax, pieces: xr.DataArray, ylabel: str, title: str, start: xr.DataArray | None = None) -> None:
    """Mean ± s.d. over trials of ``pieces (width, depth, trial)`` against N,
    log-log, a line per K beside N·K (dashed) and N^K (dotted) in its colour;
    ``start``: the counts at step 0, open squares in the same colours."""
    from .experiments.knots.analysis import reference_lines

    for i, depth in enumerate(pieces.depth.values):
        p = pieces.sel(depth=depth)
        widths = p.width.values
        color = OKABE_ITO[i % len(OKABE_ITO)]
        ax.errorbar(widths, p.mean("trial"), yerr=p.std("trial"), marker="o", color=color, capsize=2, label=f"K = {depth} layer{'s' if depth != 1 else ''}")
        ax.plot(widths, [reference_lines(w, depth)[0] for w in widths], ls="--", color=color, lw=0.8)
        ax.plot(widths, [reference_lines(w, depth)[1] for w in widths], ls=":", color=color, lw=0.8)
        if start is not None:
            ax.plot(widths, start.sel(depth=depth).mean("trial"), ls="none", marker="s", mfc="none", color=color, ms=6)
    ax.plot([], [], "--", color="0.4", lw=0.8, label="N·K (in the colour of its K)")
    ax.plot([], [], ":", color="0.4", lw=0.8, label="N^K (in the colour of its K)")
    if start is not None:
        ax.plot([], [], ls="none", marker="s", mfc="none", color="0.4", label="step 0: the initialisation (≤ 2 pieces)")
    ax.set_xscale("log")
    ax.set_xticks(pieces.width.values, [str(w) for w in pieces.width.values])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_yscale("log")
    top = max(float(pieces.max()), 2.0) * 30
    ax.set_ylim(1 if start is None else 0.7, top)  # room below for step 0's single pieces
    ax.set_xlabel("N (neurons per layer)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small")


def knots_figure(ds: xr.Dataset, dpi: int = 120) -> Figure:
    """E6: exact linear pieces at initialisation against width and depth,
    beside ``N*K`` and ``N^K``; after a few full-batch steps from the paper's
    initialisation (zero biases), likewise, with the step-0 counts; and
    during training of the E4 and E5 networks."""
    extra = [name for name in ("minima", "linearity") if f"pieces_{name}" in ds]
    trained = "pieces_trained" in ds and ds.sizes.get("step", 0) > 0
    count = 1 + trained + len(extra)
    cols = count if count <= 3 else 2  # four panels: two rows of two
    rows = -(-count // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 4.6 * rows), dpi=dpi, layout="constrained", squeeze=False)
    axes = axes.ravel()
    for ax in axes[count:]:
        ax.remove()
    _pieces_by_width(axes[0], ds.pieces, "linear pieces", f"At initialisation (mean ± s.d. of {ds.sizes['trial']} trials)")
    if trained:
        p = ds.pieces_trained.where(ds.pieces_trained >= 0)  # -1: a diverged trial
        last = int(p.step.values[-1])
        first = p.sel(step=0) if 0 in p.step.values and last != 0 else None
        title = f"After {last} full-batch step{'s' if last != 1 else ''} from the paper's initialisation\n(zero biases; mean ± s.d. of {p.sizes['trial']} trials)"
        _pieces_by_width(axes[1], p.sel(step=last), "linear pieces on the data's domain", title, first)
    for ax, name in zip(axes[1 + trained : count], extra):
        p = ds[f"pieces_{name}"]
        lead = [d for d in p.dims if not d.endswith("epoch")]
        epoch = f"{name}_epoch"
        # colour: the first grid dimension (bias variant, training set); line style: the trial
        for index in np.ndindex(*[p.sizes[d] for d in lead]):
            sel = {d: p[d].values[i] for d, i in zip(lead, index)}
            color = OKABE_ITO[index[0] % len(OKABE_ITO)]
            style = LINE_STYLES[(index[-1] if len(index) > 1 else 0) % len(LINE_STYLES)]
            label = ", ".join(f"{d.removeprefix(name + '_')} {v}" for d, v in sel.items())
            ax.plot(p[epoch], p.sel(**sel), marker=".", color=color, ls=style, label=label)
        nk = p.attrs["width"] * p.attrs["depth"]
        ax.axhline(nk, color="k", ls="--", lw=0.8, label=f"N·K = {nk}")
        ax.set_xlabel("epoch")
        ax.set_ylabel("linear pieces on the data's domain")
        ax.set_title({"minima": "E4 (sawtooth) during training", "linearity": "E5 (X + N, X, N) during training"}[name])
        # the key: a colour per variant or set, a line style per trial (not one entry per curve)
        first, last = lead[0], lead[-1]
        key = [Line2D([], [], color=OKABE_ITO[i % len(OKABE_ITO)], label=f"{first.removeprefix(name + '_')} {v}") for i, v in enumerate(p[first].values)]
        if len(lead) > 1:
            key += [Line2D([], [], color="0.4", ls=LINE_STYLES[j % len(LINE_STYLES)], label=f"{last.removeprefix(name + '_')} {v}") for j, v in enumerate(p[last].values)]
        key.append(Line2D([], [], color="k", ls="--", lw=0.8, label=f"N·K = {nk}"))
        ax.legend(handles=key, fontsize="x-small", ncol=2)
    fig.suptitle("Knots: exact linear pieces of networks with one input")
    return fig


def sensitivity_figure(ds: xr.Dataset, paper_band: tuple[float, float] | None = None, dpi: int = 120) -> Figure:
    """E7: E1's deepest-layer dead fraction (on the data, on fresh inputs) and
    E2's size at the last epoch at each depth, per setting, mean and 95%
    Student's t interval over the trials;
    ``paper_band`` is the paper's E1 interval, drawn where the run is
    comparable with it."""
    from .experiments.sensitivity.analysis import summarise

    t = summarise(ds)
    layer, x, depths = t.attrs["layer"], np.arange(len(t)), t.attrs["depths"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), dpi=dpi, layout="constrained", sharex=True)
    for offset, sample, color, what in ((-0.1, "data", "C0", "the training data"), (0.1, "fresh", "C1", "fresh inputs")):
        col = f"e1_dead_layer{layer}_{sample}"
        left.errorbar(x + offset, t[col], yerr=half(ds.sizes["e1_trial"]) * t[col + "_se"], fmt="o", color=color, capsize=3, label=f"dead on {what}")
    if paper_band is not None:
        left.axhspan(*paper_band, color="0.5", alpha=0.25, label="paper (on the data)")
    left.set_ylabel(f"fraction of layer-{layer} neurons dead")
    left.set_title(f"E1: layer {layer} after training ({ds.sizes['e1_trial']} experiments)")
    left.legend(fontsize="small")
    for k, depth in enumerate(depths):
        col = f"e2_depth{depth}_size"
        offset = (k - (len(depths) - 1) / 2) * 0.12
        right.errorbar(x + offset, t[col], yerr=half(ds.sizes["e2_trial"]) * t[col + "_se"], fmt="s", color=DEPTH_COLORS[k % len(DEPTH_COLORS)], capsize=3, label=f"depth {depth}")
    right.plot(x, t["e2_perfect_fit_size"], "_", color="k", ms=18, label="perfect fit (sum of y²)")
    right.set_ylabel("size  sum f(x)², last epoch")
    right.set_title(f"E2: n = {t.attrs['n']}, epoch {t.attrs['epoch']} ({ds.sizes['e2_trial']} trials)")
    right.legend(fontsize="small")
    dropped = int(np.nansum(t[[f"e2_depth{d}_diverged" for d in depths]].values))
    if dropped:
        total = int(ds.trained.sum()) * ds.sizes["e2_trial"]
        right.annotate(_divergence_note(dropped, total).lstrip("; "), (0.01, 0.01), xycoords="axes fraction", fontsize="small")
    for ax in (left, right):
        ax.set_xticks(x, [setting_name(s, k, v) for s, k, v in zip(t["setting"], t["knob"], t["value"])], rotation=30, ha="right")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Sensitivity to settings the paper does not pin down (mean, 95% t-interval)")
    return fig


DEPTH_COLORS = OKABE_ITO[:5]


def half(trials: int) -> float:
    """A 95% interval's half-width in standard errors of a mean over
    ``trials`` (Student's t, as the verdicts use; 2 s.e. would be an 86%
    interval on 4 trials)."""
    from .stats import t_quantile

    return t_quantile(max(trials - 1, 1))
LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))


def setting_name(label: str, knob: str, value: str) -> str:
    return "baseline" if not knob else ", ".join(f"{k}={v}" for k, v in zip(knob.split("+"), value.split(",")))


INPUT_MARKERS = {"normal": ("D", "inputs N(0, I)"), "uniform_symmetric": ("^", "inputs uniform on [-1, 1]^d"), "uniform_positive": ("v", "inputs uniform on [0, 1]^d")}


def learning_rate_figure(ds: xr.Dataset, e2_bands: dict[int, tuple[float, float]] | None = None, e1_band: tuple[float, float] | None = None, dpi: int = 120) -> Figure:
    """E7's answer: E2's largest mean size against the learning rate, one
    line per depth, and E1's deepest-layer dead fraction beside it, mean and
    95% Student's t interval. Lines join the settings that change the learning rate alone;
    settings that change the input distribution (triangles) or epsilon
    (crosses) are single markers at their learning rate. The bands are the paper's values
    (``e2_bands`` per depth, ``e1_band``), drawn where the run is
    comparable with them."""
    from .experiments.sensitivity.analysis import e1_dead, largest_mean_size

    knobs = [str(k) for k in ds.knob.values]
    only_rate = [i for i, k in enumerate(knobs) if k in ("", "learning_rate")]
    others = [i for i, k in enumerate(knobs) if k and k != "learning_rate" and set(k.split("+")) <= {"learning_rate", "epsilon", "input_distribution"}]
    rate = ds.learning_rate.values.astype(float)
    line = sorted(only_rate, key=lambda i: rate[i])
    value = [str(v) for v in ds.value.values]

    def marker(i):
        first = knobs[i].split("+")[0]
        return "x" if first == "epsilon" else INPUT_MARKERS[value[i].split(",")[0]][0]
    top, top_se = largest_mean_size(ds)
    e1_half, e2_half = half(ds.sizes["e1_trial"]), half(ds.sizes["e2_trial"])
    dead, dead_se = mean_se(e1_dead(ds), "e1_trial")
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), dpi=dpi, layout="constrained")
    for k, depth in enumerate(ds.depth.values):
        color = DEPTH_COLORS[k % len(DEPTH_COLORS)]
        m, e = top.sel(depth=depth).values, top_se.sel(depth=depth).values
        left.errorbar(rate[line], m[line], yerr=e2_half * e[line], fmt="o-", color=color, capsize=3, label=f"depth {depth}")
        for i in others:
            if np.isfinite(m[i]):
                left.errorbar(rate[i], m[i], yerr=e2_half * e[i], fmt=marker(i), color=color, capsize=2, alpha=0.8)
        if e2_bands and int(depth) in e2_bands:
            left.axhspan(*e2_bands[int(depth)], color=color, alpha=0.15, label=f"paper, depth {depth}")
    left.set_ylabel(f"E2: largest mean size over epochs, n = {ds.attrs['e2_n']}")
    left.set_title(f"E2 ({ds.sizes['e2_trial']} trials, {int(ds.epoch[-1])} epochs)")
    right.errorbar(rate[line], dead.values[line], yerr=e1_half * dead_se.values[line], fmt="o-", color="k", capsize=3, label="learning rate alone")
    for i in others:
        right.errorbar(rate[i], dead.values[i], yerr=e1_half * dead_se.values[i], fmt=marker(i), color="0.4", capsize=2)
    if e1_band is not None:
        right.axhspan(*e1_band, color="0.5", alpha=0.25, label="paper")
    layer = int(ds.layer.max())
    right.set_ylabel(f"E1: fraction of layer-{layer} neurons dead on the data")
    right.set_title(f"E1 ({ds.sizes['e1_trial']} experiments, depth {layer})")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("Adadelta learning rate (paper: 1.0)")
        ax.grid(alpha=0.3)
        for symbol, what in (("x", "epsilon changed"), *INPUT_MARKERS.values()):
            if any(marker(i) == symbol for i in others):
                ax.plot([], [], symbol, color="0.4", ls="none", label=what)
        ax.legend(fontsize="small")
    fig.suptitle("Which learning rate brings E1 and E2 to the paper? (mean, 95% t-interval)")
    return fig


def loss_scale_figure(ds: xr.Dataset, e2_bands: dict[int, tuple[float, float]] | None = None, e1_band: tuple[float, float] | None = None, dpi: int = 120) -> Figure:
    """E7's two explanations of Figure 1's gap that a 2016 script may hold:
    E2's largest mean size per depth, and E1's deepest-layer dead fraction,
    against the loss scale (1: the paper's loss; 1/128: 128 towers of one
    model), one line per learning rate that the scales were crossed with;
    the optimizer reset every record as a cross at scale 1. Mean and 95%
    t-interval; bands: the paper's values where the run is comparable."""
    from .experiments.sensitivity.analysis import e1_dead, largest_mean_size

    knobs = [set(str(k).split("+")) - {""} for k in ds.knob.values]
    scale, rate = ds.loss_scale.values.astype(float), ds.learning_rate.values.astype(float)
    on_grid = [i for i, k in enumerate(knobs) if k <= {"loss_scale", "learning_rate"}]
    lines = {r: sorted((i for i in on_grid if rate[i] == r), key=lambda i: scale[i]) for r in sorted(set(rate[on_grid]), reverse=True)}
    lines = {r: idx for r, idx in lines.items() if len(idx) > 1}  # a rate the scales were crossed with
    resets = [i for i, k in enumerate(knobs) if k == {"optimizer_reset"}]
    top, top_se = largest_mean_size(ds)
    dead, dead_se = mean_se(e1_dead(ds), "e1_trial")
    panels = [(f"E2 depth {int(d)}: largest mean size", top.sel(depth=d).values, top_se.sel(depth=d).values, ds.sizes["e2_trial"], (e2_bands or {}).get(int(d)), resets) for d in ds.depth.values]
    # E1's five steps hold no record: the reset leaves E1 as it is, no cross there
    panels.append((f"E1: layer {int(ds.layer.max())} dead on the data", dead.values, dead_se.values, ds.sizes["e1_trial"], e1_band, []))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.2), dpi=dpi, layout="constrained", squeeze=False)
    for ax, (title, mean, se, trials, band, resets) in zip(axes[0], panels):
        for k, (r, idx) in enumerate(lines.items()):
            ax.errorbar(scale[idx], mean[idx], yerr=half(trials) * se[idx], fmt="o-", color=OKABE_ITO[k % len(OKABE_ITO)], capsize=3, label=f"learning rate {r:g}")
        for i in resets:
            if np.isfinite(mean[i]):
                ax.errorbar(scale[i], mean[i], yerr=half(trials) * se[i], fmt="x", color="k", ms=8, capsize=3, label="optimizer reset every record")
        if band is not None:
            ax.axhspan(*band, color="0.5", alpha=0.25, label="paper")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("loss scale (paper: 1; 128 towers: 1/128)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize="small")
    fig.suptitle(f"Loss scale and optimizer resets: E2 at n = {ds.attrs['e2_n']}, {int(ds.epoch[-1])} epochs (mean, 95% t-interval)")
    return fig
