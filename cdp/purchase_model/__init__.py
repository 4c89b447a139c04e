"""The purchase model (rules §7): BG/NBD and Gamma-Gamma fitted on the customers' order
days as of D, with the day as the time unit. Plain NumPy/SciPy likelihoods, no Dagster."""
