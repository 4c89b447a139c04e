"""The `cdp push-actions` subcommand: its arguments and its handler for orchestration/cli/main.py
(the push itself is cdp/wecom/push.py)."""

from __future__ import annotations

import argparse
from typing import Any

from cdp.settings import Settings
from orchestration.cli.sync_wecom import say


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Register `push-actions` on the subparsers object `commands` of the `cdp` parser."""
    parser = commands.add_parser(
        "push-actions",
        help="send the last publish's issued actions (customer_actions) as WeCom (企业微信) "
        "group-send tasks per staff member and write the mini-program's files: a dry run "
        "prints the plan, --apply sends it",
        description="For each (staff member, action) of the last publish's issued wecom "
        "actions, one externalcontact/add_msg_template task to the customers with the action "
        "catalog's text; for each action's issued miniprogram actions, a CSV under "
        "<warehouse>/actions/<as-of date>/ for the subscription-message tool. Without --apply "
        "nothing is sent and nothing is written. An --apply sends only what the ledger of the "
        "as-of date does not hold: a second one sends nothing, one after a failure sends the "
        "rest. Exit 0 done, 1 WeCom refused part, 2 bad settings or nothing published yet.",
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="write the mini-program files and send the WeCom tasks (needs CDP_WECOM_CORP_ID "
        "and CDP_WECOM_SECRET); without it, only print the plan",
    )
    parser.add_argument(
        "--resend-uncertain",
        action="store_true",
        help="also send again the calls an earlier --apply could not confirm (their answer "
        "was lost): only after checking WeCom's 群发记录 that those tasks do not exist",
    )
    parser.set_defaults(handler=cmd_push_actions)
    return parser


def cmd_push_actions(args: argparse.Namespace, settings: Settings) -> int:
    """Run `cdp push-actions [--apply] [--resend-uncertain]`; returns the exit code."""
    from cdp.wecom.push import push_actions

    return push_actions(
        settings, apply=args.apply, say=say, resend_uncertain=args.resend_uncertain
    )
