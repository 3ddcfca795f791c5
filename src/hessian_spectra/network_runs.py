"""The MNIST-1K and CIFAR-10 runs (Sections 3.2-4.1): what each network run is, what it is
called, read from the config, as `runs` does for the blob runs. Torch-free: the Snakefile
imports it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .resources import convnet_parameter_count, hessian_rank_bound, mlp_parameter_count

MNIST_CLASSES = 10
MNIST_PIXELS = 784
FC_WIDTH_KEYS = ("hidden", "tanh_hidden")  # mnist.fc's widths; the rest is the training


@dataclass(frozen=True)
class MnistRun:
    """One MNIST-1K network (Sections 3.2-3.4): a width of Figs. 3 and 5 (role "width"; of
    mnist.activation, or tanh beside it), or the convnet of Figs. 4 and 6 trained with the
    small ("SB") or large ("LB") batch."""

    name: str
    role: str
    label: str
    architecture: dict
    training: dict
    parameter_count: int
    rank_bound: int | None

    @property
    def family(self) -> str:
        """ "fc" (Figs. 3, 5) or "conv" (Figs. 4, 6)."""
        return "fc" if self.role == "width" else "conv"

    @property
    def activation(self) -> str:
        return self.architecture["activation"]

    def file(self, folder: str, name: str) -> str:
        return f"results/mnist/{folder}/{self.name}/{name}"


def mnist_runs(config: Mapping) -> dict[str, MnistRun]:
    """MNIST-1K runs by name: fc-h<width> per width of mnist.fc.hidden (mnist.activation),
    fc-tanh-h<width> per width of mnist.fc.tanh_hidden (the same net and training with tanh,
    where no bound fixes the negative eigenvalues), then conv-bs<batch> for SB and LB."""
    mnist = config["mnist"]
    fc, conv = mnist["fc"], mnist["conv"]
    n_train = mnist["data"]["n_train"]
    widths = [(f"fc-h{w}", f"hidden = {w}", w, mnist["activation"]) for w in fc["hidden"]]
    tanh = fc.get("tanh_hidden", [])  # none in a record's config made before the key
    widths += [(f"fc-tanh-h{w}", f"tanh, hidden = {w}", w, "tanh") for w in tanh]
    runs = []
    for name, label, width, activation in widths:
        architecture = {"kind": "mlp", "hidden": [width], "activation": activation}
        runs.append(
            MnistRun(
                name=name,
                role="width",
                label=label,
                architecture=architecture,
                training={key: fc[key] for key in sorted(fc) if key not in FC_WIDTH_KEYS},
                parameter_count=mlp_parameter_count(MNIST_PIXELS, [width], MNIST_CLASSES),
                rank_bound=hessian_rank_bound(architecture, n_train, MNIST_CLASSES),
            )
        )
    architecture = {
        "kind": "convnet",
        "activation": mnist["activation"],
        "channels": conv["channels"],
        "hidden": conv["hidden"],
    }
    shared = {key: conv[key] for key in ("learning_rate", "steps", "log_every", "seed")}
    for role, batch in (("SB", conv["small_batch"]), ("LB", conv["large_batch"])):
        runs.append(
            MnistRun(
                name=f"conv-bs{batch}",
                role=role,
                label=f"{role} (batch {batch})",
                architecture=architecture,
                training={"batch_size": batch, **shared},
                parameter_count=convnet_parameter_count(conv["channels"], conv["hidden"]),
                rank_bound=None,
            )
        )
    return {run.name: run for run in runs}


@dataclass(frozen=True)
class CifarPart:
    """One of Section 4.1's two CIFAR-10 trainings: Part I trains the large batch ("lb")
    from the seeded initialisation, Part II the small batch ("sb") from where Part I
    ended."""

    number: int
    end: str
    settings: dict
    start: str | None

    @property
    def trajectory(self) -> str:
        return cifar_trajectory(self.number)


def cifar_trajectory(part: int) -> str:
    """The trajectory file of CIFAR-10 Part `part` (1 or 2)."""
    return f"results/cifar/part{part}.h5"


def cifar_parts(config: Mapping) -> dict[str, CifarPart]:
    """The CIFAR-10 parts by their end point's name ("lb", "sb"), in training order."""
    train = config["cifar"]["train"]
    shared = {
        key: train[key]
        for key in ("learning_rate", "steps_per_record", "records", "eval_batch_size")
    }
    lb = CifarPart(
        1,
        "lb",
        {"part": 1, "batch_size": train["large_batch"], **shared, "seed": train["seed"]},
        None,
    )
    sb = CifarPart(
        2,
        "sb",
        {"part": 2, "batch_size": train["small_batch"], **shared, "seed": train["seed"]},
        lb.trajectory,
    )
    return {"lb": lb, "sb": sb}
