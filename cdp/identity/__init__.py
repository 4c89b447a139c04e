"""Identity stitching's Python step (the SQL half lives in dbt_project/models/intermediate/identity)."""
