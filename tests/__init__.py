"""The test suite. hessian_spectra is imported before any test module imports torch, so its
OpenMP and MKL settings (see hessian_spectra/__init__.py) hold in the tests as in the jobs."""

import hessian_spectra  # noqa: F401
