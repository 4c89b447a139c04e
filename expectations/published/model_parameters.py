"""model_parameters: the purchase model's parameters (rules §7), one row per model and
parameter: BG/NBD r, alpha, a, b and Gamma-Gamma p, q, gamma, all positive, per day."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations.checks import at_least, between, in_set, not_null
from expectations.published.common import TableSuite

PARAMETERS = {"bgnbd": ("r", "alpha", "a", "b"), "gamma_gamma": ("p", "q", "gamma")}


def expectations() -> list[Expectation]:
    return [
        *not_null("value", "log_likelihood", "n_customers", "converged", "fitted_as_of"),
        in_set("model", PARAMETERS),
        in_set("parameter", [p for names in PARAMETERS.values() for p in names]),
        in_set("model_parameter", [f"{m}.{p}" for m, names in PARAMETERS.items() for p in names]),
        in_set("time_unit", ["day"]),
        between("value", 0, strict_low=True),
        between("n_customers", 0),
        at_least("as_of_date", "fitted_as_of"),
    ]


SUITE = TableSuite(
    table="model_parameters",
    key=("model", "parameter"),
    expectations=expectations,
    derived={"model_parameter": "model || '.' || parameter"},
)
