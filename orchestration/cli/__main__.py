"""`python -m orchestration.cli`: the `cdp` command."""

import sys

from orchestration.cli.main import main

sys.exit(main())
