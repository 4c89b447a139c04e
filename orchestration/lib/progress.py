"""The progress lines of a step: in the run's log, and to the Python logger `cdp.progress`,
which `cdp run` prints plainly."""

import logging
from collections.abc import Callable

import dagster as dg

PROGRESS_LOGGER = "cdp.progress"


def progress(context: dg.OpExecutionContext) -> Callable[[str], None]:
    """`say(line)`: the line in the run's log and on the progress logger."""
    plain = logging.getLogger(PROGRESS_LOGGER)

    def say(line: str) -> None:
        context.log.info(line)
        plain.info(line)

    return say
