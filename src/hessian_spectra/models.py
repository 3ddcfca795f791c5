"""Networks of the paper, described by plain dicts so a checkpoint can rebuild them."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.func import functional_call

from .resources import alexnet_parameter_count, mlp_parameter_count

__all__ = [
    "ACTIVATIONS",
    "FlatModel",
    "alexnet_parameter_count",
    "alexnet_spec",
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


def convnet_spec(
    activation: str = "relu", channels: Sequence[int] = (10, 20), hidden: int = 50
) -> dict:
    """The MNIST convnet of Section 3.3: conv 1->10 5x5, max-pool, conv 10->20 5x5,
    max-pool, fc 320->50, fc 50->10, the activation after each pooling and the first fc.
    It takes flattened 28 x 28 images; M = 21,840. `channels` and `hidden` shrink it (the
    test configuration's convnet)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
    return {"kind": "convnet", "input_dim": 784, "n_classes": 10, "activation": activation,
            "channels": [int(c) for c in channels], "hidden": int(hidden)}  # fmt: skip


def alexnet_spec(
    conv_channels: Sequence[int] = (64, 64),
    hidden: Sequence[int] = (384, 192),
    n_classes: int = 10,
    kernel_size: int = 5,
    image_shape: Sequence[int] = (3, 32, 32),
) -> dict:
    """The "bare AlexNet" of Section 4.1 for 32 x 32 images: the CIFAR AlexNet of Zhang et
    al. (2016) and Keskar et al. (2016) (after the TensorFlow CIFAR-10 tutorial's model),
    with its local response normalisation removed ("no batch normalisation") and no
    dropout. Each convolution block is conv k x k ('same' padding) -> ReLU -> max-pool 3 x 3,
    stride 2; then fully connected ReLU layers of `hidden` widths and a linear output.
    The defaults give M = 1,756,426 (`resources.alexnet_parameter_count`)."""
    channels, height, width = (int(v) for v in image_shape)
    if kernel_size % 2 != 1:
        raise ValueError(f"kernel_size must be odd for 'same' padding, got {kernel_size}")
    return {
        "kind": "alexnet",
        "image_shape": [channels, height, width],
        "conv_channels": [int(c) for c in conv_channels],
        "kernel_size": int(kernel_size),
        "hidden": [int(h) for h in hidden],
        "n_classes": int(n_classes),
    }


def _alexnet(spec: dict, dtype: torch.dtype) -> nn.Sequential:
    channels, height, width = spec["image_shape"]
    kernel = spec["kernel_size"]
    layers: list[nn.Module] = [nn.Unflatten(1, (channels, height, width))]
    for out_channels in spec["conv_channels"]:
        layers += [
            nn.Conv2d(channels, out_channels, kernel, padding=kernel // 2, dtype=dtype),
            nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1),
        ]
        channels, height, width = out_channels, (height + 1) // 2, (width + 1) // 2
    layers.append(nn.Flatten())
    widths = [channels * height * width, *spec["hidden"]]
    for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(fan_in, fan_out, dtype=dtype), nn.ReLU()]
    layers.append(nn.Linear(widths[-1], spec["n_classes"], dtype=dtype))
    return nn.Sequential(*layers)


def _convnet(spec: dict) -> nn.Sequential:
    act = ACTIVATIONS[spec["activation"]]
    first, second = spec["channels"]
    f64 = {"dtype": torch.float64}
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, first, 5, **f64), nn.MaxPool2d(2), act(),
        nn.Conv2d(first, second, 5, **f64), nn.MaxPool2d(2), act(),
        nn.Flatten(),
        nn.Linear(second * 16, spec["hidden"], **f64), act(),
        nn.Linear(spec["hidden"], spec["n_classes"], **f64),
    )  # fmt: skip


def spec_for(architecture: dict, input_dim: int, n_classes: int) -> dict:
    """The full spec of `architecture` ({"kind": "mlp", "hidden": [...], "activation": ...}
    or {"kind": "convnet", "activation": ...}) for data of the given shape."""
    kind = architecture.get("kind")
    if kind == "mlp":
        return mlp_spec(input_dim, architecture["hidden"], n_classes, architecture["activation"])
    if kind == "convnet":
        sizes = {key: architecture[key] for key in ("channels", "hidden") if key in architecture}
        spec = convnet_spec(architecture["activation"], **sizes)
        if (input_dim, n_classes) != (spec["input_dim"], spec["n_classes"]):
            raise ValueError(
                f"the convnet takes 784 inputs and 10 classes, not {input_dim} and {n_classes}"
            )
        return spec
    raise ValueError(f"unknown model kind {kind!r}")


def build_model(spec: dict, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """A network from its spec (softmax is part of the loss, not the model): float64, as
    every Hessian here is, except where a caller asks otherwise (CIFAR-10 trains the bare
    AlexNet in float32)."""
    if spec.get("kind") == "alexnet":
        return _alexnet(spec, dtype)
    if dtype != torch.float64:
        raise ValueError(f"the {spec.get('kind')} nets are float64 only, not {dtype}")
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


def initialise(
    model: nn.Module,
    *,
    weight_std: float | None,
    generator: torch.Generator,
    bias_std: float = 0.0,
) -> None:
    """Draw weights from N(0, weight_std^2) and biases from N(0, bias_std^2), zero biases
    when bias_std is 0 (the authors' code draws both with std 0.1; blobs.model.bias_std).

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
                if bias_std:
                    module.bias.normal_(0.0, bias_std, generator=generator)
                else:
                    module.bias.zero_()


class FlatModel:
    """A module seen as a function of one flat parameter vector (in `parameters()` order):
    the form every curvature operator and every checkpoint uses."""

    def __init__(self, model: nn.Module):
        self.model = model
        self.names = [name for name, _ in model.named_parameters()]
        self.shapes = [param.shape for param in model.parameters()]
        self.sizes = [param.numel() for param in model.parameters()]
        self.dim = sum(self.sizes)

    def flatten(self) -> torch.Tensor:
        """The module's current parameters as one detached vector."""
        return torch.cat([p.detach().reshape(-1) for p in self.model.parameters()])

    def load(self, theta: torch.Tensor) -> None:
        """Copy a flat vector into the module's parameters."""
        with torch.no_grad():
            for param, piece in zip(self.model.parameters(), theta.split(self.sizes), strict=True):
                param.copy_(piece.view_as(param))

    def __call__(self, theta: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        pieces = theta.split(self.sizes)
        params = {
            name: piece.view(shape)
            for name, piece, shape in zip(self.names, pieces, self.shapes, strict=True)
        }
        return functional_call(self.model, params, (inputs,))
