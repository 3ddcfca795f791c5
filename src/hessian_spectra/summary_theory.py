"""The sections of the summary that check the theory the paper leans on: Appendix B's
random-matrix laws for logistic regression (Fig. 10) and Section 2.2's split H = G + R."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .verdicts import ENGINE_CHECK, FINDING, Claims

EPS64 = float(np.finfo(np.float64).eps)


def logistic_lines(claims: Claims, logistic: Mapping) -> list[str]:
    lines = [
        "## Logistic regression on one blob follows Marchenko-Pastur (Appendix B, Fig. 10)",
        "",
        "| alpha = M/N | M | N | KS distance to MP | Monte Carlo 95% critical value | "
        "KS to MP with a 10% wrong variance | ... with a 10% wrong ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    fits, variance_power, ratio_power = [], [], []
    for entry in logistic["single_blob"]:
        critical = entry["ks_critical"]
        fits.append(entry["ks_distance"] < critical)
        variance_power.append(entry["ks_wrong_variance"] > critical)
        ratio_power.append(entry["ks_wrong_ratio"] > critical)
        lines.append(
            f"| {entry['alpha']:g} | {entry['M']} | {entry['N']} | "
            f"{entry['ks_distance']:.4f} | {critical:.4f} | "
            f"{entry['ks_wrong_variance']:.4f} | {entry['ks_wrong_ratio']:.4f} |"
        )
    draws = logistic["single_blob"][0]["ks_draws"] if logistic["single_blob"] else 0
    lines += [
        "",
        "Engine check (at w = 0 this Hessian is a scaled sample covariance of the data, and "
        "Marchenko-Pastur holds by theorem; the paper's case, the Hessian at the trained "
        "weights, is tested below): the bulk follows the Marchenko-Pastur law of ratio M/N: "
        + claims.decide_over(
            "at w = 0 the bulk of logistic regression on one blob follows Marchenko-Pastur",
            fits,
            ENGINE_CHECK,
        )
        + f" ({sum(fits)}/{len(fits)} below the critical value, the 95th percentile of the "
        f"KS distance over {draws} independent draws of the same experiment; eigenvalues are "
        "not independent samples, so 1.36/sqrt(M) would be far too lenient). The check "
        f"tells a 10% error from the true law in variance at {sum(variance_power)}/"
        f"{len(fits)} ratios and in ratio at {sum(ratio_power)}/{len(fits)}.",
        "",
    ]
    if "train" in logistic:  # not in a fig10.json from before the trained case
        lines += _trained_single_blob_lines(claims, logistic)
    lines += [
        "| two blobs: alpha = M/N | N | above the bulk edge | largest | BBP (Theorem 1) "
        "| finite-N spread | within 2 spreads |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    hits = []
    for two in logistic["two_blobs"]:
        predicted, spread = two["predicted_outlier"], two["predicted_spread"]
        near = predicted is not None and abs(two["largest"] - predicted) <= 2 * spread
        hits.append(near and two["n_above_bulk"] == 1)
        shown = "below the transition" if predicted is None else f"{predicted:.4g}"
        lines.append(
            f"| {two['alpha']:g} | {two['N']} | {two['n_above_bulk']} | {two['largest']:.4g} "
            f"| {shown} | {spread or 0:.3g} | {'yes' if near else 'no'} |"
        )
    lines += [
        "",
        "Engine check (BBP's theorem at w = 0): two blobs give exactly one outlier, where BBP "
        "puts it: "
        + claims.decide_over(
            "at w = 0 two blobs give exactly one outlier, where BBP puts it", hits, ENGINE_CHECK
        )
        + f" ({sum(hits)}/{len(hits)}; the spread is the outlier's standard deviation at "
        "this N for Gaussian data, 2 l^2 (1 - alpha / (l - 1)^2) / N in variance, Paul 2007, "
        "times the Hessian's factor 1/2).",
        "",
    ]
    if "train" in logistic:
        lines += _trained_two_blobs_lines(claims, logistic)
    return lines


def _trained(logistic: Mapping, key: str) -> tuple[list, list, str]:
    """The entries of `key`, those that were trained (not separable), and how they were:
    the Finding's opening words."""
    entries, rule = logistic[key], logistic["train"]
    opening = (
        "Finding (the paper's case: the model trained from w = 0 by full-batch L-BFGS until "
        f"the gradient norm is at most {rule['tolerance']:g}, at most {rule['max_steps']} "
        "iterations; there the curvature sigma'(x.w) of each sample differs, and the law's "
        "variance is its average over the samples)"
    )
    return entries, [e for e in entries if not e["separable"]], opening


def _counts(hits: list, entries: list, trained: list) -> str:
    """How many trained ratios pass, and how many were left out as separable."""
    passed = f"{sum(hits)}/{len(hits)} trained ratios; " if hits else ""
    return (
        f"{passed}{len(entries) - len(trained)} of {len(entries)} ratios left out: their "
        "points are linearly separable, so the log-loss has no finite minimum and there are "
        "no trained weights"
    )


def _trained_single_blob_lines(claims: Claims, logistic: Mapping) -> list[str]:
    entries, trained, opening = _trained(logistic, "single_blob_trained")
    lines = [
        "| trained: alpha = M/N | M | N | loss | gradient norm | mean curvature | "
        "KS distance to MP | Monte Carlo 95% critical value (draws) | "
        "KS to MP with a 10% wrong variance | ... with a 10% wrong ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    fits = []
    for entry in entries:
        head = f"| {entry['alpha']:g} | {entry['M']} | {entry['N']} |"
        if entry["separable"]:
            lines.append(head + " separable: not trained | | | | | | |")
            continue
        critical = entry["ks_critical"]
        fits.append(entry["converged"] and entry["ks_distance"] < critical)
        lines.append(
            f"{head} {entry['loss']:.4f} | {entry['gradient_norm']:.1e} | "
            f"{entry['mean_curvature']:.4f} | {entry['ks_distance']:.4f} | "
            f"{critical:.4f} ({entry['ks_draws']}) | {entry['ks_wrong_variance']:.4f} | "
            f"{entry['ks_wrong_ratio']:.4f} |"
        )
    return lines + _trained_finding(
        claims,
        "at the trained weights the bulk follows Marchenko-Pastur of ratio M/N",
        "training reached its gradient tolerance and the KS distance to that law lies below "
        "the 95th percentile of the KS distance over independent draws of the same trained "
        "experiment",
        fits,
        (entries, trained, opening),
    )


def _trained_finding(
    claims: Claims, claim: str, test: str, hits: list[bool], found: tuple
) -> list[str]:
    """The paragraph of a trained case: its finding over the ratios that could be trained
    (none: untestable), with the test in words; `found` is what `_trained` returned."""
    entries, trained, opening = found
    separable = len(entries) - len(trained)
    verdict = (
        claims.decide_over(claim, hits, FINDING, separable=separable)
        if hits
        else claims.untestable(claim, FINDING, separable=separable)
    )
    return [
        "",
        f"{opening}: {claim}, tested as: {test}: {verdict} ({_counts(hits, entries, trained)}).",
        "",
    ]


def _trained_two_blobs_lines(claims: Claims, logistic: Mapping) -> list[str]:
    entries, trained, opening = _trained(logistic, "two_blobs_trained")
    lines = [
        "| two blobs, trained: alpha = M/N | N | loss | gradient norm | mean curvature | "
        "above the bulk edge | largest | BBP times the mean curvature | finite-N spread | "
        "within 2 spreads |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    hits = []
    for two in entries:
        if two["separable"]:
            lines.append(
                f"| {two['alpha']:g} | {two['N']} | separable: not trained | | | | | | | |"
            )
            continue
        predicted, spread = two["predicted_outlier"], two["predicted_spread"]
        near = predicted is not None and abs(two["largest"] - predicted) <= 2 * spread
        hits.append(two["converged"] and near and two["n_above_bulk"] == 1)
        shown = "below the transition" if predicted is None else f"{predicted:.4g}"
        lines.append(
            f"| {two['alpha']:g} | {two['N']} | {two['loss']:.4f} | "
            f"{two['gradient_norm']:.1e} | {two['mean_curvature']:.4f} | "
            f"{two['n_above_bulk']} | {two['largest']:.4g} | {shown} | {spread or 0:.3g} | "
            f"{'yes' if near else 'no'} |"
        )
    return lines + _trained_finding(
        claims,
        "two blobs at the trained weights give one outlier, where BBP puts it",
        "training reached its gradient tolerance, exactly one eigenvalue lies above the "
        "bulk edge, and the largest lies within 2 finite-N spreads of BBP's outlier, both "
        "scaled by the mean curvature",
        hits,
        (entries, trained, opening),
    )


# Section 2.2: near a minimum the residual term R is small against the outliers of G.
R_SMALL_LIMIT = 0.1


def gauss_newton_lines(claims: Claims, gauss_newton: Mapping) -> list[str]:
    lines = [
        "## H = G + R: the Gauss-Newton term G carries the outliers, R is small (Sec. 2.2)",
        "",
        "| run | M | rank G (above round-off) | bound N(k-1) | lambda_min(G) / lambda_max(G) "
        "| lambda_min(H) | lambda_min(R) | norm(R) / lambda_max(H) | top-k of H vs G |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ranks, psd, small = [], [], []
    for run, entry in gauss_newton.items():
        dim, bound = entry["M"], entry["rank_bound"]
        ratio = entry["norm_R_over_max_H"]
        lines.append(
            f"| {run} | {dim} | {entry['rank_G']} | {bound} | "
            f"{entry['min_G'] / entry['max_G']:.1e} | {entry['min_H']:.3e} | "
            f"{entry['min_R']:.3e} | {ratio:.3f} | {entry['top_k_relative_difference']:.2e} |"
        )
        if bound < dim:  # else every rank meets it: nothing to test
            ranks.append(entry["rank_G"] <= bound)
        psd.append(entry["min_G"] >= -dim * EPS64 * entry["max_G"])
        small.append(ratio < R_SMALL_LIMIT)
    rank = "rank(G) <= N (k - 1)"
    rank_claim = (
        claims.decide_over(rank, ranks, ENGINE_CHECK)
        + f" ({sum(ranks)}/{len(ranks)} runs where N(k-1) < M)"
        if ranks
        else claims.untestable(rank, ENGINE_CHECK)
        + " (N(k-1) >= M in every run, so any rank meets it)"
    )
    psd_check = claims.decide_over("G is positive semi-definite", psd, ENGINE_CHECK)
    lines += [
        "",
        "Engine checks (both hold by construction, G being a sum of N positive semi-definite "
        "terms of rank k - 1): rank(G) <= N (k - 1), the rank counted above G's round-off "
        f"floor M eps lambda_max(G): {rank_claim}. G is positive semi-definite "
        f"(lambda_min(G) >= -M eps lambda_max(G)): {psd_check}; so by Weyl's inequality the "
        "negative eigenvalues of H come from R. Claim: R is small: norm(R) < "
        f"{R_SMALL_LIMIT:g} lambda_max(H): "
        f"{claims.decide_over('R is small against lambda_max(H)', small, limit=R_SMALL_LIMIT)}"
        f" ({sum(small)}/{len(small)}).",
        "",
    ]
    return lines
