"""The dbt project in Dagster: the project and its manifest (project.py), the translator of
its nodes into assets and checks (translator.py), what a `dbt build` said (build_log.py)."""
