"""The `cdp sync-wecom` subcommand: its arguments and its handler for orchestration/cli/main.py
(the sync itself is cdp/wecom/sync.py)."""

from __future__ import annotations

import argparse
from typing import Any

from cdp.settings import Settings


def say(line: str) -> None:
    print(line, flush=True)


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Register `sync-wecom` on the subparsers object `commands` of the `cdp` parser."""
    parser = commands.add_parser(
        "sync-wecom",
        help="push the CDP's customer tags to WeCom (企业微信) corp tags: a dry run prints the "
        "plan, --apply sends it",
        description="Make the CDP-owned WeCom tags (groups named CDP_WECOM_TAG_PREFIX...) of each "
        "staff member's customers match the last publish (wecom_tag_sync). Without --apply "
        "nothing is sent. An --apply resumes where a failed one stopped and sends nothing when "
        "the publish is already applied. Exit 0 done, 1 WeCom refused part of the plan, "
        "2 bad settings or nothing published yet.",
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="send the plan to WeCom: create the missing tag groups and tags, then add and "
        "remove tags per relationship (needs CDP_WECOM_CORP_ID and CDP_WECOM_SECRET); without "
        "it, only print the plan",
    )
    parser.set_defaults(handler=cmd_sync_wecom)
    return parser


def cmd_sync_wecom(args: argparse.Namespace, settings: Settings) -> int:
    """Run `cdp sync-wecom [--apply]`; returns the exit code."""
    from cdp.wecom.sync import sync_wecom

    return sync_wecom(settings, apply=args.apply, say=say)
