"""`make lint`: sqlfluff's lint of the dbt models (.sqlfluff), the arguments given after
`lint` (`python -m tools.lint --processes 1 dbt_project/models`).

sqlfluff's dbt templater parses the project into the dbt target folder `DBT_TARGET_PATH`
(the lint's own, never the project's target, which the tests read meanwhile): it starts from
the project's parse (orchestration/dbt_manifest.py `seed_partial_parse`). Python's collector
runs less often, as in the project's other processes (cdp/garbage_collection.py): a quarter
of the lint's CPU."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cdp.garbage_collection import collect_less_often
from orchestration.dbt_manifest import seed_partial_parse


def main(argv: list[str]) -> None:
    target = os.environ.get("DBT_TARGET_PATH")
    if not target:
        sys.exit("tools.lint: DBT_TARGET_PATH must name the lint's own dbt target (`make lint`)")
    seed_partial_parse(Path(target), os.environ)
    collect_less_often()
    from sqlfluff.cli.commands import cli

    cli(["lint", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
