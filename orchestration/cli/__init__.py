"""`cdp`, the command line: the top layer, over the Dagster definitions (orchestration/defs)
and the tools (tools/generate, tools/bench). Nothing else imports it.

- main.py: the parser, the commands, the exit codes (`cdp = orchestration.cli.main:main`)
- run.py, run_summary.py: `cdp run` (the nightly job in process) and what it says at the end
- sync_wecom.py, push_actions.py: the arguments of `cdp sync-wecom` and `cdp push-actions`
"""
