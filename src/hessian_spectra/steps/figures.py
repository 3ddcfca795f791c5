"""The paper's figures (1-6, 10 and H = G + R) and the numbers the summary quotes."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

import numpy as np

from .. import logistic, plotting, plotting_logistic, spectrum, storage

LOG = logging.getLogger(__name__)
PathLike = str | os.PathLike


def figure_initial_and_final(
    initial: PathLike, final: PathLike, output: PathLike, numbers: PathLike, *, setting: str
) -> None:
    """Fig. 1 from the spectra at the initial point and at the end of training, and its
    numbers (per point: extremes, round-off floor, negative eigenvalues below -floor);
    `setting` says in words which run they belong to ("GD, ReLU, k = 20, cov = 1")."""
    initial_values, _ = storage.read_spectrum(initial)
    final_values, attrs = storage.read_spectrum(final)
    title = f"{setting}: M = {final_values.size:,}, N = {attrs.get('n_samples', '?'):,}"
    plotting.save_figure(
        plotting.initial_and_final_spectra(initial_values, final_values, title=title), output
    )
    storage.write_json(
        {
            name: {
                "M": int(values.size),
                "min": float(values[0]),
                "max": float(values[-1]),
                "negative": int((values < 0).sum()),
                **spectrum.negative_eigenvalues(
                    values, spectrum.round_off_floor(values), values.size
                ),
            }
            for name, values in (("initial", initial_values), ("final", final_values))
        },
        numbers,
    )


def figure_spectra_with_gap(
    spectra: Mapping[str, Sequence[PathLike]], output: PathLike, *, top: int, title: str
) -> None:
    """Fig. 2 from the spectra of each labelled setting, one per seed, the first seed's
    first (drawn in full; the others faint)."""
    values = {
        label: [storage.read_spectrum(path)[0] for path in paths]
        for label, paths in spectra.items()
    }
    plotting.save_figure(plotting.spectra_with_gap(values, top=top, title=title), output)


def figure_logistic_regression(
    figure: PathLike,
    numbers: PathLike,
    *,
    dim: int,
    alphas: Sequence[float],
    two_blob_alphas: Sequence[float],
    separation: float,
    seed: int,
) -> None:
    """Fig. 10 and its numbers: one blob per alpha in `alphas` (KS distances to
    Marchenko-Pastur), two blobs per alpha in `two_blob_alphas` (the BBP check)."""
    single = [logistic.single_blob(dim, alpha, seed) for alpha in alphas]
    calibrations = [logistic.calibrate_ks(result, dim, seed) for result in single]
    two_blobs = [logistic.two_blobs(dim, alpha, separation, seed) for alpha in two_blob_alphas]
    payload = {
        "single_blob": [
            {
                "alpha": r.alpha,
                "M": int(r.eigenvalues.size),
                "N": r.n_samples,
                "ks_distance": r.ks_distance,
                "ks_critical": c.critical,
                "ks_wrong_variance": c.wrong_variance,
                "ks_wrong_ratio": c.wrong_ratio,
                "ks_draws": c.draws,
                "ks_error": c.error,
            }
            for r, c in zip(single, calibrations, strict=True)
        ],
        "two_blobs": [
            {
                "alpha": two.alpha,
                "M": int(two.eigenvalues.size),
                "N": two.n_samples,
                "spike": two.spike,
                "predicted_outlier": two.predicted_outlier,
                "predicted_spread": two.predicted_spread,
                "largest": float(two.eigenvalues[-1]),
                "n_above_bulk": two.count_above_bulk(),
            }
            for two in two_blobs
        ],
    }
    plotting.save_figure(plotting_logistic.logistic_regression_spectra(single, two_blobs), figure)
    storage.write_json(payload, numbers)
    LOG.info("Fig. 10 numbers: %s", payload)


# The three spectra fig_ggn shows, by panel name and by the key of their files.
MATRICES = (("H", "spectrum"), ("G", "ggn_spectrum"), ("R = H - G", "residual_spectrum"))


def figure_gauss_newton(
    runs: Sequence[Mapping], figure: PathLike, numbers: PathLike, *, top: int
) -> None:
    """The spectra of H, G and R = H - G for each run, and the checks of Section 2.2.

    Each entry of `runs` has a `label` (the run's name, which keys its numbers), a `title`
    (its panels'), the run's `n_classes`, and the paths of the full float64 spectra of its
    Hessian (`spectrum`), its Gauss-Newton term (`ggn_spectrum`) and its residual
    (`residual_spectrum`), all three solved by the spectrum rule.
    """
    spectra, payload = {}, {}
    for run in runs:
        values, points = {}, {}
        for name, kind in MATRICES:
            values[name], attrs = storage.read_spectrum(run[kind])
            if attrs.get("precision") != "float64" or attrs["method"] != "dense":
                raise storage.ArtefactError(
                    f"spectrum {run[kind]} is not a full float64 spectrum "
                    f"({attrs['method']}, {attrs.get('precision')})"
                )
            points[run[kind]] = (attrs["run"], attrs["checkpoint_step"], values[name].size)
        if len(set(points.values())) > 1:
            raise storage.ArtefactError(
                "the spectra of H, G and R of one run hold different runs, steps or M: "
                + "; ".join(f"{path}: {point}" for path, point in points.items())
            )
        spectra[run["title"]] = values
        n_classes = run["n_classes"]
        h, g, r = values["H"], values["G"], values["R = H - G"]
        top_h, top_g = h[::-1][:n_classes], g[::-1][:n_classes]
        payload[run["label"]] = {
            "M": int(h.size), "n_samples": attrs["n_samples"], "n_classes": n_classes,
            "rank_G": spectrum.numerical_rank(g),
            "rank_bound": attrs["n_samples"] * (n_classes - 1),
            "min_G": float(g.min()), "max_G": float(g.max()),
            "min_H": float(h.min()), "max_H": float(h.max()),
            "min_R": float(r.min()), "max_R": float(r.max()),
            "norm_R_over_max_H": float(np.abs(r).max() / h.max()),
            "negative_H": int((h < 0).sum()), "negative_R": int((r < 0).sum()),
            "top_k_relative_difference": float(np.abs(top_h - top_g).max() / top_h.max()),
        }  # fmt: skip
    plotting.save_figure(plotting.gauss_newton_spectra(spectra, top=top), figure)
    storage.write_json(payload, numbers)
    LOG.info("Gauss-Newton numbers: %s", payload)


def figure_top_and_negative(
    spectra: Mapping[str, PathLike],
    top_figure: PathLike,
    negative_figure: PathLike,
    numbers: PathLike,
    *,
    top: int,
    title: str,
) -> None:
    """A pair of figures from one spectrum per network: the `top` largest eigenvalues in
    increasing order (Figs. 3, 4) and every negative one against its rank as a percentage
    of M, with the round-off floor of each spectrum (Figs. 5, 6); and per network the
    numbers the summary quotes. Only eigenvalues below -floor count as negative. A Lanczos
    spectrum holds only its converged extremes, so its count is a lower bound and its share
    is not reported."""
    curves, payload = {}, {}
    for label, path in spectra.items():
        values, attrs = storage.read_spectrum(path)
        dim = int(attrs["parameter_count"])
        floor = float(attrs["round_off_floor"])
        curves[label] = plotting.NegativeCurve(values, dim, floor)
        negatives = spectrum.negative_eigenvalues(values, floor, dim)
        complete = attrs["method"] == "dense"
        payload[label] = {
            "M": dim, "method": attrs["method"], "precision": attrs["precision"],
            "largest": float(values[-1]),
            "top_edge": float(values[-min(top, values.size)]),
            "smallest": float(values[0]),
            **negatives,
            "negative_share": negatives["negative_share"] if complete else None,
            "complete": complete,
        }  # fmt: skip
        if not complete:
            payload[label]["converged_smallest"] = attrs["converged_smallest"]
    labelled = {label: (curve.values, curve.dim) for label, curve in curves.items()}
    plotting.save_figure(plotting.largest_eigenvalues(labelled, top=top, title=title), top_figure)
    plotting.save_figure(plotting.negative_eigenvalues(curves, title=title), negative_figure)
    storage.write_json(payload, numbers)
