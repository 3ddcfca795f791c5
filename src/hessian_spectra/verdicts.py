"""How a claim of the paper is decided and recorded: each verdict is computed from numbers,
kept with them for summary.json, and worded for summary.md."""

from __future__ import annotations

from collections.abc import Sequence

HOLDS, FAILS, MIXED, UNTESTABLE = "holds", "does not hold", "mixed", "not testable here"
# A finding can go either way on the paper's setup; an engine check holds by construction or
# by theorem where the engine is right (G is positive semi-definite; Marchenko-Pastur at
# w = 0), so it tests our code, not the paper.
FINDING, ENGINE_CHECK = "finding", "engine check"
# One yardstick for "the negative eigenvalues are much smaller than the outliers" (Sec. 3.4,
# blobs) and "orders of magnitude smaller" (Fig. 5, MNIST), stated once:
# |lambda_min| / lambda_max below this, two orders of magnitude.
NEGATIVE_TO_LARGEST_LIMIT = 0.01


def verdict_of(holds: bool | None) -> str:
    return {True: HOLDS, False: FAILS, None: MIXED}[holds]


def over(hits: Sequence[bool]) -> bool | None:
    """Holds where every case does, does not where none does, mixed otherwise."""
    return True if all(hits) else (False if not any(hits) else None)


class Claims:
    """The claims of one section of the summary, in the order they are decided."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def decide(self, claim: str, holds: bool | None, kind: str = FINDING, **numbers) -> str:
        """Record `claim` as decided by `holds` (None: mixed) from `numbers`; returns the
        verdict as summary.md prints it."""
        return self._add(claim, verdict_of(holds), kind, numbers)

    def decide_over(self, claim: str, hits: Sequence[bool], kind: str = FINDING, **numbers) -> str:
        """A claim that holds where every case does (`over`); the cases are recorded."""
        return self.decide(claim, over(hits), kind, hits=sum(hits), cases=len(hits), **numbers)

    def untestable(self, claim: str, kind: str = FINDING, **numbers) -> str:
        return self._add(claim, UNTESTABLE, kind, numbers)

    def _add(self, claim: str, verdict: str, kind: str, numbers: dict) -> str:
        self.items.append(
            {"claim": claim, "verdict": verdict, "kind": kind, "numbers": _plain(numbers)}
        )
        return f"**{verdict}**"


def _plain(value):
    """`value` with numpy scalars made Python numbers, for JSON."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value.item() if hasattr(value, "item") else value
