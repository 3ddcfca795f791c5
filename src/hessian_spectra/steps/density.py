"""Sampled spectral densities against the exact spectrum: our stochastic Lanczos
quadrature and each installed peer library's density at its own defaults, on the nets of
the exact float64 spectra (`densities`, `plotting_density`)."""

from __future__ import annotations

import importlib.util
import logging
import os
import time
from collections.abc import Mapping, Sequence
from importlib.metadata import version

import numpy as np

from .. import densities, plotting, plotting_density, storage
from ..problems import Problem

LOG = logging.getLogger(__name__)
PathLike = str | os.PathLike
OURS = "ours (SLQ)"
NOT_INSTALLED = "not installed (the extra `peers`: pip install -e '.[peers]')"
NOT_ASKED = "not asked for (settings: peers false)"


def exact_spectrum(path: PathLike) -> tuple[np.ndarray, float | None]:
    """A full float64 spectrum (ascending) and its round-off floor where its file gives
    one; any other spectrum is an ArtefactError naming the file."""
    values, attrs = storage.read_spectrum(path)
    if attrs.get("method") != "dense" or attrs.get("precision") != "float64":
        raise storage.ArtefactError(
            f"spectrum {path} is not a full float64 spectrum "
            f"({attrs.get('method')}, {attrs.get('precision')})"
        )
    floor = attrs.get("round_off_floor")
    return values, None if floor is None else float(floor)


def exact_summary(exact: np.ndarray, floor: float | None) -> dict:
    """What the distances are measured against: the range, the negative shares (below 0,
    and below -floor where the spectrum file gives its round-off floor), the top values."""
    return {
        "lambda_min": float(exact[0]),
        "lambda_max": float(exact[-1]),
        "range": float(exact[-1] - exact[0]),
        "round_off_floor": floor,
        "negative_share": float(np.mean(exact < 0)),
        "negative_share_below_floor": None if floor is None else float(np.mean(exact < -floor)),
        "top": exact[::-1][: densities.TOP].tolist(),
    }


def _installed(peer: str) -> bool:
    return importlib.util.find_spec(densities.PEERS[peer]) is not None


def _row(name: str, library: str, density, exact, floor) -> dict:
    distribution = densities.DISTRIBUTIONS.get(library, library)
    return {
        "name": name,
        "library": library,
        "version": version(distribution) if library != "ours" else None,
        "measure": density.kind,
        "iterations": density.iterations,
        "vectors": density.vectors,
        "products": density.products,
        **densities.compare(density, exact, floor),
        "skipped": None,
    }


def _skipped(library: str, reason: str) -> dict:
    empty = ("version", "measure", "iterations", "vectors", "products", "w1",
             "w1_relative", "ks", "top10_error", "negative_share",
             "negative_share_below_floor")  # fmt: skip
    return {"name": library, "library": library, **dict.fromkeys(empty), "skipped": reason}


def measure_net(
    problem: Problem, exact: np.ndarray, floor: float | None, settings: Mapping
) -> tuple[list[dict], list[tuple[str, densities.Density]]]:
    """Each method's row (`_row`, or `_skipped` with the reason) and each density drawn.
    Each call's time goes to the log, not the rows: the numbers of one config are the same
    on every run."""
    seed = int(settings["seed"])
    peers = [p for p in densities.PEERS if settings["peers"] and _installed(p)]
    started = time.perf_counter()
    ours = densities.slq(
        problem.hessian().matvec, problem.flat.dim,
        iterations=int(settings["iterations"]), vectors=int(settings["vectors"]), seed=seed,
    )  # fmt: skip
    LOG.info("%s: %.1f s", OURS, time.perf_counter() - started)
    rows = [_row(OURS, "ours", ours, exact, floor)]
    drawn = [(OURS, ours)]
    for peer in densities.PEERS:
        if peer not in peers:
            rows.append(_skipped(peer, NOT_INSTALLED if settings["peers"] else NOT_ASKED))
            continue
        started = time.perf_counter()
        results = densities.PEER_DENSITIES[peer](problem, seed=seed)
        LOG.info("%s: %.1f s, its building of the operator included", peer,
                 time.perf_counter() - started)  # fmt: skip
        for name, density in results.items():
            rows.append(_row(name, peer, density, exact, floor))
            drawn.append((name, density))
    return rows, drawn


def figure_density(
    nets: Sequence[Mapping],
    settings: Mapping,
    figure: PathLike,
    png: PathLike,
    numbers: PathLike,
) -> None:
    """The figure (a PDF and the PNG `png` beside it) and its numbers (JSON). `nets`:
    {"label", "checkpoint", "dataset", "spectrum": its exact float64 spectrum}, in order;
    `settings`: {"iterations", "vectors", "seed" (ours: Rademacher start vectors), "peers":
    whether to run the installed peers}. The numbers: {"constants", "nets": [{"label", "M",
    "exact": `exact_summary`, "methods": one row per method}]}."""
    plotting.check_png_beside(figure, png)
    entries, panels = [], []
    for net in nets:
        exact, floor = exact_spectrum(net["spectrum"])
        problem = Problem.from_checkpoint(net["checkpoint"], net["dataset"])
        if problem.flat.dim != exact.size:
            raise storage.ArtefactError(
                f"spectrum {net['spectrum']} holds {exact.size} eigenvalues but the net of "
                f"{net['checkpoint']} has {problem.flat.dim} parameters"
            )
        rows, drawn = measure_net(problem, exact, floor, settings)
        summary = exact_summary(exact, floor)
        entries.append({"label": net["label"], "M": int(exact.size), "exact": summary,
                        "methods": rows})  # fmt: skip
        panels.append((net["label"], exact, floor, drawn))
        for row in rows:
            LOG.info("%s, %s: %s", net["label"], row["name"], row["skipped"] or
                     f"W1/range {row['w1_relative']:.2e}, KS {row['ks']:.3f}, "
                     f"{row['products']} products")  # fmt: skip
    payload = {
        "constants": {
            "top": densities.TOP,
            "breakdown": densities.BREAKDOWN,
            "start_vectors": "rademacher",
            "curvlinops_ncv": densities.CURVLINOPS_NCV,
            "display_width_fraction": plotting_density.DISPLAY_WIDTH_FRACTION,
            "histogram_bins": plotting_density.HISTOGRAM_BINS,
            "settings": dict(settings),
        },
        "nets": entries,
    }
    plotting.save_figure(plotting_density.density_panels(panels), figure)
    storage.write_json(payload, numbers)
