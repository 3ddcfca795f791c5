"""One split of a dataset (inputs and integer labels) as tensors, the form every
experiment trains and evaluates on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Split:
    """Inputs and integer labels of one split."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.y)

    def to(self, device: torch.device | str) -> Split:
        return Split(self.x.to(device), self.y.to(device))

    @staticmethod
    def stacked(splits: list[Split]) -> Split:
        """Splits of equal size as one, with a leading run axis: the data of a stack of
        runs (`stacks`), run r's in row r."""
        return Split(torch.stack([s.x for s in splits]), torch.stack([s.y for s in splits]))


def to_splits(arrays: dict[str, np.ndarray]) -> tuple[Split, Split]:
    """Train and test splits as float64 / int64 tensors."""
    train = Split(
        torch.as_tensor(arrays["x_train"], dtype=torch.float64),
        torch.as_tensor(arrays["y_train"], dtype=torch.int64),
    )
    test = Split(
        torch.as_tensor(arrays["x_test"], dtype=torch.float64),
        torch.as_tensor(arrays["y_test"], dtype=torch.int64),
    )
    return train, test
