"""The errors ingestion raises: a file it cannot read at all, and a load that cannot go on."""

from __future__ import annotations


class UnreadableExtract(Exception):
    """A file that cannot be read: nothing of it is loaded.

    Its message is one line naming the file, the line and the problem, for example
    `data/landing/member/2026-01-05/members.csv, line 1: missing required column(s): status`;
    without a line when the operating system refused to read the file at all
    (`…/members.csv: cannot be read: [Errno 13] Permission denied`).
    """

    def __init__(self, file: str, line: int | None, problem: str):
        self.file = file
        self.line = line
        self.problem = problem
        where = file if line is None else f"{file}, line {line}"
        super().__init__(f"{where}: {problem}")


class IngestionStopped(Exception):
    """Ingestion could not go on (the build database could not be written: a full disk, an
    I/O error). One line naming the entity, the files being written, the database and the
    error; `report` holds what was loaded before it stopped."""

    def __init__(self, message: str, report: object = None):
        super().__init__(message)
        self.report = report
