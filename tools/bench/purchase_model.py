"""`cdp bench model`: the purchase model step (rules §7) on N simulated customers.

Customers are drawn from the models themselves, with NumPy and a fixed seed, over a 365-day
window ending on D: a first purchase on a uniformly drawn day, then purchases at Poisson
rate λ ~ Gamma(r, α) per day, dropping out with probability p ~ Beta(a, b) after each repeat
purchase; each purchase spends Gamma(p, ν) yuan with ν ~ Gamma(q, γ). Purchases are
observed as days, as the customer summary sees them (purchases on one day are one purchase
day, their spends summed). Then both models are fitted and every customer predicted, as the
pipeline does, and the recovered parameters are printed beside the true ones (the day
granularity biases them a little).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdp.purchase_model import model
from cdp.purchase_model.bgnbd import BgNbdParams, distinct_triples
from cdp.purchase_model.gamma_gamma import GammaGammaParams

WINDOW_DAYS = 365
TRUE_BGNBD = BgNbdParams(r=0.25, alpha=30.0, a=0.8, b=2.5)
TRUE_GAMMA_GAMMA = GammaGammaParams(p=6.0, q=4.0, gamma=150.0)

Say = Callable[[str], None]


@dataclass(frozen=True)
class ModelBench:
    customers: int
    repeat_customers: int
    distinct_triples: int
    simulate_s: float
    result: model.FitResult
    predict_s: float
    peak_rss_mb: float

    @property
    def total_s(self) -> float:
        return self.result.bgnbd.seconds + self.result.gamma_gamma.seconds + self.predict_s

    def lines(self) -> list[str]:
        bg, gg = self.result.bgnbd, self.result.gamma_gamma
        return [
            f"customers                      {self.customers:>12,}",
            f"  with a repeat purchase day   {self.repeat_customers:>12,}",
            f"distinct (x, t_x, T) triples   {self.distinct_triples:>12,}",
            f"simulation                     {self.simulate_s:>11.1f}s (not counted)",
            f"BG/NBD fit                     {bg.seconds:>11.2f}s ({bg.message})",
            f"Gamma-Gamma fit                {gg.seconds:>11.2f}s ({gg.message})",
            f"predict (4 columns)            {self.predict_s:>11.2f}s",
            f"total fit + predict            {self.total_s:>11.2f}s",
            f"peak RSS                       {self.peak_rss_mb:>10,.0f} MB",
            f"{'parameters (day as time unit)':<30}{'true':>7}  {'recovered':>9}",
            *_comparison(TRUE_BGNBD, bg.estimate.params),
            *_comparison(TRUE_GAMMA_GAMMA, gg.estimate.params),
        ]


def _comparison(truth: BgNbdParams | GammaGammaParams, fitted) -> list[str]:
    return [
        f"  {name:<28}{getattr(truth, name):>7.3f}  {getattr(fitted, name):>9.3f}"
        for name in truth.NAMES
    ]


def simulate(customers: int, seed: int) -> pd.DataFrame:
    """The customer summary (customer_id, x, t_x, T, m) of N simulated customers as of D,
    the last day of the window."""
    rng = np.random.default_rng(seed)
    first_day = rng.integers(0, WINDOW_DAYS, customers)
    T = WINDOW_DAYS - 1 - first_day
    rate = rng.gamma(TRUE_BGNBD.r, 1 / TRUE_BGNBD.alpha, customers)
    drop = rng.beta(TRUE_BGNBD.a, TRUE_BGNBD.b, customers)
    spend_rate = rng.gamma(TRUE_GAMMA_GAMMA.q, 1 / TRUE_GAMMA_GAMMA.gamma, customers)
    clock = rng.random(customers)  # time of day of the first purchase, in days
    x = np.zeros(customers, dtype=np.int64)
    last_day = np.zeros(customers, dtype=np.int64)
    spend = np.zeros(customers)
    active = np.arange(customers)
    while active.size:
        clock[active] += rng.exponential(1 / rate[active])
        active = active[clock[active] < T[active] + 1]
        day = np.floor(clock[active]).astype(np.int64)
        x[active] += day > last_day[active]
        last_day[active] = day
        spend[active] += np.where(
            day > 0, rng.gamma(TRUE_GAMMA_GAMMA.p, 1 / spend_rate[active]), 0.0
        )
        active = active[rng.random(active.size) >= drop[active]]
    return pd.DataFrame({
        "customer_id": np.char.add("c", np.arange(customers).astype(str)),
        "x": x,
        "t_x": last_day,
        "T": T,
        "m": np.divide(spend, x, out=np.zeros(customers), where=x > 0),
    })


def bench_model(customers: int, *, seed: int = 1, say: Say) -> ModelBench:
    say(f"simulating {customers:,} customers over {WINDOW_DAYS} days (seed {seed})")
    started = time.perf_counter()
    summary = simulate(customers, seed)
    simulate_s = time.perf_counter() - started
    triples = len(distinct_triples(summary["x"], summary["t_x"], summary["T"]).weight)
    say(f"simulated in {simulate_s:.1f}s: {triples:,} distinct (x, t_x, T) triples; fitting")
    result = model.fit(summary)
    for line in model.report(result):
        say(line)
    started = time.perf_counter()
    predictions = model.predict(summary, result.estimates)
    predict_s = time.perf_counter() - started
    say(f"predicted {len(predictions):,} customers in {predict_s:.1f}s")
    return ModelBench(
        customers=customers,
        repeat_customers=int((summary["x"] > 0).sum()),
        distinct_triples=triples,
        simulate_s=simulate_s,
        result=result,
        predict_s=predict_s,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
