"""The one error ingestion raises for a file it cannot read at all."""

from __future__ import annotations


class UnreadableExtract(Exception):
    """A file that cannot be read: nothing of it is loaded.

    Its message is one line naming the file, the line and the problem, for example
    `data/landing/member/2026-01-05/members.csv, line 1: missing required column(s): status`.
    """

    def __init__(self, file: str, line: int, problem: str):
        self.file = file
        self.line = line
        self.problem = problem
        super().__init__(f"{file}, line {line}: {problem}")
