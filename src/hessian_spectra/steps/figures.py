"""The paper's figures (1-6, 10 and H = G + R) and the numbers the summary quotes."""

from __future__ import annotations

import functools
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
    tolerance: float,
    max_steps: int,
    trained_separation: float,
) -> None:
    """Fig. 10 and its numbers: one blob per alpha in `alphas` (KS distances to
    Marchenko-Pastur), two blobs per alpha in `two_blob_alphas` (the BBP check), each at
    w = 0 and at the trained weights (L-BFGS until the gradient norm is at most
    `tolerance`, or `max_steps` iterations; the trained two blobs at
    `trained_separation`, where they can overlap); a trained entry of separable data
    holds only alpha, M, N and `separable`."""
    rule = logistic.StoppingRule(tolerance, max_steps)
    single = [logistic.single_blob(dim, alpha, seed) for alpha in alphas]
    two_blobs = [logistic.two_blobs(dim, alpha, separation, seed) for alpha in two_blob_alphas]
    single_trained = [logistic.trained_single_blob(dim, alpha, seed, rule) for alpha in alphas]
    two_trained = [
        logistic.trained_two_blobs(dim, alpha, trained_separation, seed, rule)
        for alpha in two_blob_alphas
    ]
    trained_draws = functools.partial(logistic.trained_single_blob, rule=rule)
    payload = {
        "single_blob": [_single_blob_entry(r, logistic.calibrate_ks(r, dim, seed)) for r in single],
        "two_blobs": [_two_blobs_entry(two) for two in two_blobs],
        "train": {
            "tolerance": tolerance,
            "max_steps": max_steps,
            "separation": trained_separation,
        },
        "single_blob_trained": [
            _single_blob_entry(r, logistic.calibrate_ks(r, dim, seed, experiment=trained_draws))
            if isinstance(r, logistic.SingleBlob)
            else _separable_entry(r)
            for r in single_trained
        ],
        "two_blobs_trained": [
            _two_blobs_entry(r) if isinstance(r, logistic.TwoBlobs) else _separable_entry(r)
            for r in two_trained
        ],
    }
    plotting.save_figure(
        plotting_logistic.logistic_regression_spectra(
            single, two_blobs, single_trained, two_trained
        ),
        figure,
    )
    storage.write_json(payload, numbers)
    LOG.info("Fig. 10 numbers: %s", payload)


def _training_entry(result) -> dict:
    """Where training stopped and the average curvature, for a trained result; nothing at
    w = 0 (its entries keep their fields)."""
    if result.training is None:
        return {}
    return {
        "separable": False,
        "loss": result.training.loss,
        "gradient_norm": result.training.gradient_norm,
        "steps": result.training.steps,
        "converged": result.training.converged,
        "mean_curvature": result.variance,
    }


def _single_blob_entry(r: logistic.SingleBlob, c: logistic.KSCalibration) -> dict:
    return {
        "alpha": r.alpha,
        "M": int(r.eigenvalues.size),
        "N": r.n_samples,
        "ks_distance": r.ks_distance,
        "ks_critical": c.critical,
        "ks_wrong_variance": c.wrong_variance,
        "ks_wrong_ratio": c.wrong_ratio,
        "ks_draws": c.draws,
        "ks_error": c.error,
        **_training_entry(r),
    }


def _two_blobs_entry(two: logistic.TwoBlobs) -> dict:
    return {
        "alpha": two.alpha,
        "M": int(two.eigenvalues.size),
        "N": two.n_samples,
        "spike": two.spike,
        "predicted_outlier": two.predicted_outlier,
        "predicted_spread": two.predicted_spread,
        "largest": float(two.eigenvalues[-1]),
        "n_above_bulk": two.count_above_bulk(),
        **_training_entry(two),
    }


def _separable_entry(result: logistic.Separable) -> dict:
    return {
        "alpha": result.alpha,
        "M": result.parameters,
        "N": result.n_samples,
        "separable": True,
    }


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
    activations: Mapping[str, str] | None = None,
) -> None:
    """A pair of figures from one spectrum per network: the `top` largest eigenvalues in
    increasing order (Figs. 3, 4) and every negative one against its rank as a percentage
    of M, with the round-off floor of each spectrum (Figs. 5, 6); and per network the
    numbers the summary quotes. Only eigenvalues below -floor count as negative. A Lanczos
    spectrum holds only its converged extremes, so its count is a lower bound and its share
    is not reported. For nets of several widths (Figs. 3, 5), `activations` gives each
    label's activation: recorded, drawn in its line style, and the width series of each
    activation compared (`_compare_successive_widths`)."""
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
    styles = {}
    if activations is not None:
        for label, entry in payload.items():
            entry["activation"] = activations[label]
            styles[label] = plotting.ACTIVATION_LINESTYLES[activations[label]]
        _compare_successive_widths(payload, curves)
    labelled = {label: (curve.values, curve.dim) for label, curve in curves.items()}
    plotting.save_figure(
        plotting.largest_eigenvalues(labelled, top=top, title=title, linestyles=styles),
        top_figure,
    )
    plotting.save_figure(
        plotting.negative_eigenvalues(curves, title=title, linestyles=styles), negative_figure
    )
    storage.write_json(payload, numbers)


def _compare_successive_widths(
    payload: Mapping[str, dict], curves: Mapping[str, plotting.NegativeCurve]
) -> None:
    """Fig. 5's "the shapes converge", as numbers: each net's curve of negative eigenvalues
    against the next smaller net's (by M) of its activation, both full float64 spectra (a
    Lanczos spectrum lacks most negative eigenvalues, a float32 floor hides the small
    ones). Adds `previous` (that net's label) and `distance_to_previous`
    (`spectrum.negative_curve_distance`) to the entry of each net after the first."""
    full = sorted(
        (entry["M"], label)
        for label, entry in payload.items()
        if entry["complete"] and entry["precision"] == "float64"
    )
    previous: dict[str, str] = {}  # activation -> the last net of that series seen
    for _, label in full:
        activation = payload[label]["activation"]
        if activation in previous:
            before, now = curves[previous[activation]], curves[label]
            payload[label]["previous"] = previous[activation]
            payload[label]["distance_to_previous"] = spectrum.negative_curve_distance(
                before.values[before.values < -before.floor],
                before.dim,
                now.values[now.values < -now.floor],
                now.dim,
            )
        previous[activation] = label
