"""Networks of the paper, described by plain dicts so a checkpoint can rebuild them."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .resources import mlp_parameter_count

__all__ = [
    "ACTIVATIONS",
    "build_model",
    "convnet_spec",
    "initialise",
    "mlp_parameter_count",
    "mlp_spec",
    "spec_for",
]

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


def mlp_spec(input_dim: int, hidden: Sequence[int], n_classes: int, activation: str) -> dict:
    """The description of a fully connected net, stored in every checkpoint."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
    return {
        "kind": "mlp",
        "input_dim": int(input_dim),
        "hidden": [int(h) for h in hidden],
        "n_classes": int(n_classes),
        "activation": activation,
    }


def convnet_spec(activation: str = "relu") -> dict:
    """The MNIST convnet of Section 3.3: conv 1->10 5x5, max-pool, conv 10->20 5x5,
    max-pool, fc 320->50, fc 50->10, the activation after each pooling and the first fc.
    It takes flattened 28 x 28 images; M = 21,840."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
    return {"kind": "convnet", "input_dim": 784, "n_classes": 10, "activation": activation}


def _convnet(spec: dict) -> nn.Sequential:
    act = ACTIVATIONS[spec["activation"]]
    f64 = {"dtype": torch.float64}
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 10, 5, **f64), nn.MaxPool2d(2), act(),
        nn.Conv2d(10, 20, 5, **f64), nn.MaxPool2d(2), act(),
        nn.Flatten(),
        nn.Linear(320, 50, **f64), act(),
        nn.Linear(50, spec["n_classes"], **f64),
    )  # fmt: skip


def spec_for(architecture: dict, input_dim: int, n_classes: int) -> dict:
    """The full spec of `architecture` ({"kind": "mlp", "hidden": [...], "activation": ...}
    or {"kind": "convnet", "activation": ...}) for data of the given shape."""
    kind = architecture.get("kind")
    if kind == "mlp":
        return mlp_spec(input_dim, architecture["hidden"], n_classes, architecture["activation"])
    if kind == "convnet":
        spec = convnet_spec(architecture["activation"])
        if (input_dim, n_classes) != (spec["input_dim"], spec["n_classes"]):
            raise ValueError(
                f"the convnet takes 784 inputs and 10 classes, not {input_dim} and {n_classes}"
            )
        return spec
    raise ValueError(f"unknown model kind {kind!r}")


def build_model(spec: dict) -> nn.Sequential:
    """A float64 network from its spec (softmax is part of the loss, not the model)."""
    if spec.get("kind") == "convnet":
        return _convnet(spec)
    if spec.get("kind") != "mlp":
        raise ValueError(f"unknown model kind {spec.get('kind')!r}")
    widths = [spec["input_dim"], *spec["hidden"], spec["n_classes"]]
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(nn.Linear(fan_in, fan_out, dtype=torch.float64))
        if index < len(widths) - 2:
            layers.append(ACTIVATIONS[spec["activation"]]())
    return nn.Sequential(*layers)


def initialise(model: nn.Module, *, weight_std: float | None, generator: torch.Generator) -> None:
    """Draw weights from N(0, weight_std^2) with zero biases (the authors' choice).

    With `weight_std=None` every layer gets PyTorch's default initialisation, drawn from
    `generator` so that it is seeded all the same.
    """
    with torch.no_grad():
        for module in model.modules():
            if not isinstance(module, nn.Linear | nn.Conv2d):
                continue
            if weight_std is None:
                bound = 1.0 / (module.weight[0].numel()) ** 0.5  # 1 / sqrt(fan-in)
                module.weight.uniform_(-bound, bound, generator=generator)
                module.bias.uniform_(-bound, bound, generator=generator)
            else:
                module.weight.normal_(0.0, weight_std, generator=generator)
                module.bias.zero_()
