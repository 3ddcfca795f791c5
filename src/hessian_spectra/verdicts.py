"""How summary.md words a computed verdict."""

from __future__ import annotations

from collections.abc import Sequence


def verdict(holds: bool | None) -> str:
    return {True: "**holds**", False: "**does not hold**", None: "**mixed**"}[holds]


def verdict_over(hits: Sequence[bool]) -> str:
    """Holds where every case does, does not where none does, mixed otherwise."""
    return verdict(True if all(hits) else (False if not any(hits) else None))
