"""Spectral densities sampled by stochastic Lanczos quadrature (SLQ), ours and the peer
libraries', as discrete probability measures, and their distances to an exact spectrum.

SLQ (Ubaru et al. 2017; Ghorbani et al. 2019) estimates the density (1/M) sum_i
delta(x - lambda_i) of a symmetric M x M operator from random unit vectors v: m Lanczos
steps from v give a tridiagonal T whose eigenvalues (Ritz values) and squared first
eigenvector components are the nodes and weights of the m-point Gauss quadrature of v's
spectral measure sum_i (q_i . v)^2 delta(x - lambda_i), exact for polynomials of degree up
to 2m - 1. For a Rademacher or Gaussian v, that measure is the density in expectation.

The peers, imported when called (the extra `peers`), at their own default counts (read off
their signatures): PyHessian `density` (100 steps, 1 vector; in float64 through a shim),
hessian-eigenthings `spectral_density` (80 steps, 10 vectors; its nodes and weights),
curvlinops `lanczos_approximate_spectrum` (Papyan 2020: no reorthogonalisation, 1 repeat,
a grid density; ncv has no default: 128, its documentation's).
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import wasserstein_distance

ITERATIONS, VECTORS = 100, 1  # PyHessian's density(iter=100, n_v=1)
TOP = 10
# A Krylov space is invariant (Lanczos stops) where the new residual is below this times
# the largest product norm seen: round-off, not a direction of the operator.
BREAKDOWN = 1e-10
CURVLINOPS_NCV = 128  # curvlinops' spectral density examples (Papyan 2020, Sec. D.2)
PEERS = {
    "PyHessian": "pyhessian",
    "hessian-eigenthings": "hessian_eigenthings",
    "curvlinops": "curvlinops",
}  # fmt: skip  (a peer's name -> its module)
DISTRIBUTIONS = {"curvlinops": "curvlinops-for-pytorch"}  # the others: the name above


@dataclass(frozen=True)
class Density:
    """A probability measure (`nodes`, `weights` summing to 1) sampled from an operator:
    `ritz` holds each run's Ritz values, empty where the measure is a grid density;
    `iterations` Lanczos steps per vector, `vectors` start vectors, `products` made."""

    nodes: np.ndarray
    weights: np.ndarray
    ritz: tuple[np.ndarray, ...]
    iterations: int
    vectors: int
    products: int

    @property
    def kind(self) -> str:
        return "quadrature" if self.ritz else "grid"


def quadrature(runs: list[tuple[np.ndarray, np.ndarray]], **counts) -> Density:
    """The average of the runs' quadratures (nodes, weights each summing to 1)."""
    nodes = np.concatenate([np.asarray(n, dtype=np.float64).ravel() for n, _ in runs])
    weights = np.concatenate([np.asarray(w, dtype=np.float64).ravel() for _, w in runs])
    ritz = tuple(np.sort(np.asarray(n, dtype=np.float64).ravel()) for n, _ in runs)
    return Density(nodes, weights / weights.sum(), ritz, **counts)


def lanczos_quadrature(
    matvec: Callable[[torch.Tensor], torch.Tensor], start: torch.Tensor, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (ascending) and weights of the Gauss quadrature of `start`'s spectral measure:
    up to `steps` Lanczos steps from start / |start|, each new vector orthogonalised
    against all before it twice (classical Gram-Schmidt twice: exact to round-off);
    fewer where the Krylov space is invariant (then the quadrature is exact)."""
    steps = min(steps, start.numel())
    basis = torch.empty(steps, start.numel(), dtype=torch.float64, device=start.device)
    vector = start.to(torch.float64) / torch.linalg.vector_norm(start)
    alphas, betas, scale = [], [], 0.0
    for j in range(steps):
        basis[j] = vector
        product = matvec(vector)
        scale = max(scale, float(torch.linalg.vector_norm(product)))
        alphas.append(float(vector @ product))
        if j == steps - 1:
            break
        for _ in range(2):
            product = product - basis[: j + 1].T @ (basis[: j + 1] @ product)
        beta = float(torch.linalg.vector_norm(product))
        if beta <= BREAKDOWN * scale:
            break
        betas.append(beta)
        vector = product / beta
    tridiagonal = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
    nodes, vectors = np.linalg.eigh(tridiagonal)
    return nodes, vectors[0] ** 2


def slq(
    matvec: Callable[[torch.Tensor], torch.Tensor], dim: int, iterations: int = ITERATIONS,
    vectors: int = VECTORS, seed: int = 0, distribution: str = "rademacher",
) -> Density:  # fmt: skip
    """Our SLQ: `vectors` start vectors (on the CPU) drawn from one generator seeded by
    `seed`, each +-1 ("rademacher") or standard normal ("gaussian") entries, `iterations`
    steps each (`lanczos_quadrature`)."""
    if distribution not in ("rademacher", "gaussian"):
        raise ValueError(f"unknown start distribution {distribution!r}")
    generator, products = torch.Generator().manual_seed(seed), [0]

    def counted(vector: torch.Tensor) -> torch.Tensor:
        products[0] += 1
        return matvec(vector)

    runs = []
    for _ in range(vectors):
        start = torch.randn(dim, generator=generator, dtype=torch.float64)
        if distribution == "rademacher":
            start = torch.sign(start)  # a fair sign: the normal is symmetric
        runs.append(lanczos_quadrature(counted, start, iterations))
    return quadrature(runs, iterations=iterations, vectors=vectors, products=products[0])


# --- distances to the exact spectrum ----------------------------------------------------


def kolmogorov_smirnov(nodes: np.ndarray, weights: np.ndarray, exact: np.ndarray) -> float:
    """sup_x |F(x) - G(x)|, F the CDF of the weighted nodes, G of the exact values: both
    are steps, constant between the points of the union, so the sup is a max there."""
    order = np.argsort(nodes)
    nodes, cumulative = nodes[order], np.concatenate([[0.0], np.cumsum(weights[order])])
    points = np.union1d(nodes, exact)
    first = cumulative[np.searchsorted(nodes, points, side="right")] / cumulative[-1]
    second = np.searchsorted(np.sort(exact), points, side="right") / exact.size
    return float(np.abs(first - second).max())


def top_error(ritz: tuple[np.ndarray, ...], exact: np.ndarray, top: int = TOP) -> float | None:
    """The median over the runs of max_r |theta_r - lambda_r| / |lambda_r| over the `top`
    largest Ritz values of a run and the largest exact eigenvalues, rank by rank."""
    if not ritz:
        return None
    reference = np.sort(exact)[::-1][:top]
    errors = []
    for values in ritz:
        count = min(top, values.size)
        largest = np.sort(values)[::-1][:count]
        errors.append(np.max(np.abs(largest - reference[:count]) / np.abs(reference[:count])))
    return float(np.median(errors))


def compare(density: Density, exact: np.ndarray, floor: float | None) -> dict:
    """The distances of `density` to the ascending `exact` spectrum (each eigenvalue 1/M):
    Wasserstein-1 (also over the spectrum's range), Kolmogorov-Smirnov, the top-10 error
    (quadratures only), and the weight it puts below 0 and below -floor. With a round-off
    `floor`, KS counts every value within it of zero, on both sides, as zero: those
    eigenvalues are zeros known to round-off, whose signs no method can resolve (a rank-
    deficient net's exact zeros would otherwise split around 0 and cost any quadrature
    half their share)."""
    w1 = float(wasserstein_distance(density.nodes, exact, u_weights=density.weights))

    def resolved(values: np.ndarray) -> np.ndarray:
        return values if floor is None else np.where(np.abs(values) <= floor, 0.0, values)

    def below(limit: float) -> float:
        return float(density.weights[density.nodes < limit].sum())

    return {
        "w1": w1,
        "w1_relative": w1 / float(exact[-1] - exact[0]),
        "ks": kolmogorov_smirnov(resolved(density.nodes), density.weights, resolved(exact)),
        "top10_error": top_error(density.ritz, exact),
        "negative_share": below(0.0),
        "negative_share_below_floor": None if floor is None else below(-floor),
    }


# --- the peers ---------------------------------------------------------------------------


def _default(function: Callable, name: str) -> int:
    return inspect.signature(function).parameters[name].default


@contextlib.contextmanager
def _counting(owner, name: str, columns: Callable = lambda *args: 1):
    """Counts the products made through `owner.name` in the block (`columns` of a call)."""
    original, count = getattr(owner, name), [0]

    def counted(*args, **kwargs):
        count[0] += columns(*args)
        return original(*args, **kwargs)

    setattr(owner, name, counted)
    try:
        yield count
    finally:
        setattr(owner, name, original)


def _module_at(problem) -> torch.nn.Module:
    """The problem's net with its parameters set to the problem's point (a checkpoint's
    net holds its initial ones: the operators here read them from the module)."""
    problem.flat.load(problem.theta)
    return problem.flat.model


def _eig(matrix: torch.Tensor, eigenvectors: bool = False):
    """torch.eig's old result for the symmetric matrix PyHessian's density() passes it."""
    values, vectors = torch.linalg.eigh(matrix)
    return torch.stack([values, torch.zeros_like(values)], dim=1), vectors


@contextlib.contextmanager
def pyhessian_float64(problem, seed: int = 0):
    """PyHessian's `hessian` of the problem, run with float64 as torch's default dtype
    (PyHessian 0.1 draws its vectors in it) and `torch.eig` (removed from torch) a shim
    over `torch.linalg.eigh`, its global generator seeded by `seed`; nothing else changed.
    The gradients it leaves on the net's parameters are dropped afterwards."""
    from pyhessian import hessian

    default, eig = torch.get_default_dtype(), getattr(torch, "eig", None)
    torch.set_default_dtype(torch.float64)
    torch.eig = _eig
    model = _module_at(problem)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # backward(create_graph=True)
            torch.manual_seed(seed)
            data = (problem.data.x, problem.data.y)
            yield hessian(model, torch.nn.CrossEntropyLoss(), data=data, cuda=False)
    finally:
        torch.set_default_dtype(default)
        if eig is None:
            del torch.eig
        else:
            torch.eig = eig
        for parameter in model.parameters():
            parameter.grad = None


def pyhessian_density(problem, seed: int = 0, iterations=None, vectors=None) -> dict:
    """{"PyHessian density": its quadrature} at its defaults (None) or the counts given."""
    module = importlib.import_module("pyhessian.hessian")  # the package's name is the class

    iterations = min(iterations or _default(module.hessian.density, "iter"), problem.flat.dim)
    vectors = vectors or _default(module.hessian.density, "n_v")
    with (
        _counting(module, "hessian_vector_product") as products,
        pyhessian_float64(problem, seed) as computer,
    ):
        nodes, weights = computer.density(iter=iterations, n_v=vectors)
    runs = list(zip(nodes, weights, strict=True))
    counts = {"iterations": iterations, "vectors": vectors, "products": products[0]}
    return {"PyHessian density": quadrature(runs, **counts)}


def eigenthings_operator(problem):
    import hessian_eigenthings as he

    loss = he.supervised_loss(torch.nn.functional.cross_entropy)
    batch = (problem.data.x, problem.data.y)
    return he.HessianOperator(_module_at(problem), [batch], loss)


def eigenthings_density(problem, seed: int = 0, iterations=None, vectors=None) -> dict:
    """{"hessian-eigenthings spectral_density": its quadrature (the raw nodes and weights
    under its grid)} at its defaults (None) or the counts given."""
    from hessian_eigenthings import spectral_density

    steps = min(iterations or _default(spectral_density, "lanczos_steps"), problem.flat.dim)
    runs = vectors or _default(spectral_density, "num_runs")
    operator = eigenthings_operator(problem)
    with _counting(operator, "matvec") as products:
        result = spectral_density(operator, num_runs=runs, lanczos_steps=steps, seed=seed)
    nodes, weights = result.raw_eigenvalues.cpu().numpy(), result.raw_weights.cpu().numpy()
    quadratures = [
        (n[np.isfinite(n)], w[np.isfinite(n)]) for n, w in zip(nodes, weights, strict=True)
    ]
    counts = {"iterations": steps, "vectors": runs, "products": products[0]}
    return {"hessian-eigenthings spectral_density": quadrature(quadratures, **counts)}


def curvlinops_operator(problem):
    from curvlinops import HessianLinearOperator

    loss = torch.nn.CrossEntropyLoss(reduction="mean")
    model = _module_at(problem)
    batch = (problem.data.x, problem.data.y)
    return HessianLinearOperator(model, loss, list(model.parameters()), [batch])


def curvlinops_density(problem, seed: int = 0, iterations=None, vectors=None) -> dict:
    """{"curvlinops lanczos_approximate_spectrum": its grid density, "curvlinops
    fast_lanczos": the quadrature under it}, at its defaults (ncv: CURVLINOPS_NCV) or the
    counts given. The calls of `lanczos_approximate_spectrum` in its order (its
    boundaries, then each repeat's Lanczos), so the quadrature is kept; products counted
    from then on (not the operator's construction check)."""
    from curvlinops.papyan2020traces import spectrum as papyan

    function = papyan.lanczos_approximate_spectrum
    ncv = min(iterations or CURVLINOPS_NCV, problem.flat.dim)
    repeats = vectors or _default(function, "num_repeats")
    operator = curvlinops_operator(problem)
    with _counting(operator, "_matmat", lambda columns: columns[0].shape[-1]) as products:
        torch.manual_seed(seed)
        bounds = papyan.approximate_boundaries(operator, tol=_default(function, "boundaries_tol"))
        lanczos = [papyan.fast_lanczos(operator, ncv) for _ in range(repeats)]
    shape = [_default(function, name) for name in ("num_points", "kappa", "margin")]
    grids = [papyan.lanczos_approximate_spectrum_from_iter(run, bounds, *shape) for run in lanczos]
    grid, density = grids[0][0].cpu().numpy(), sum(d for _, d in grids).cpu().numpy()
    counts = {"iterations": ncv, "vectors": repeats, "products": products[0]}
    runs = [(values.cpu().numpy(), evecs[0].cpu().numpy() ** 2) for values, evecs in lanczos]
    smoothed = Density(grid, density / density.sum(), (), **counts)
    return {"curvlinops lanczos_approximate_spectrum": smoothed,
            "curvlinops fast_lanczos": quadrature(runs, **counts)}  # fmt: skip


PEER_DENSITIES = {
    "PyHessian": pyhessian_density,
    "hessian-eigenthings": eigenthings_density,
    "curvlinops": curvlinops_density,
}
