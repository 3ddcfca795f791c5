"""One function per workflow step, from input files and plain settings to output files.

Each script under `workflow/scripts/` is a thin adapter that calls exactly one of these;
they know nothing of Snakemake and are tested with plain pytest. One module per stage:

- `datasets`: the blob, MNIST-1K and CIFAR-10 dataset files;
- `training`: the float64 training runs (blobs, MNIST-1K) and their checkpoints;
- `hessian`: exact Hessians and Gauss-Newton terms in HDF5 blocks, and their spectra;
- `figures`: Figs. 1-6, 10 and H = G + R, from spectra (Fig. 10 solves its own small
  logistic-regression Hessians);
- `reports`: Table 1, GD against SGD, the sensitivity runs beside the setup's,
  results/summary.json and summary.md, and the config a run was made with;
- `conjecture`: the abstract's conjecture, the width and data sweeps' figure and numbers;
- `cifar`: the CIFAR-10 large batch -> small batch experiment (Figs. 7-9).
"""
