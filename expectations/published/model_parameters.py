"""model_parameters: the purchase model's parameters (rules §7), one row per model and
parameter: BG/NBD r, alpha, a, b and Gamma-Gamma p, q, gamma, all positive, per day."""

from __future__ import annotations

from expectations.published.common import TableSuite

PARAMETERS = {"bgnbd": ("r", "alpha", "a", "b"), "gamma_gamma": ("p", "q", "gamma")}


def _names() -> str:
    return ", ".join(f"'{m}.{p}'" for m, names in PARAMETERS.items() for p in names)


SUITE = TableSuite(
    table="model_parameters",
    key=("model", "parameter"),
    rules={"a parameter of its model": f"model || '.' || parameter in ({_names()})"},
)
