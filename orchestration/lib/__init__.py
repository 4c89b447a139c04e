"""What the Dagster definitions (orchestration/defs) share and are not definitions themselves:
the dbt translator and build log (dbt/), the run's as-of date, the progress logger, the
ingestion assets' keys, the run lock, and the one module of Dagster's private APIs."""
