"""`cdp sync-wecom`: make the CDP's tags in WeCom match the published `wecom_tag_sync`.

A dry run prints the plan and sends nothing. `--apply` creates the tag groups and tags the
plan adds where WeCom lacks them, then calls mark_tag once per relationship, recording each
success in the run's ledger, so a second `--apply` of the same publish sends nothing and a
run that stopped half way resumes where it stopped.

Exit codes: 0 done; 1 WeCom refused part of the plan (one line per failed relationship, up
to 20, then a count; the rest was applied); 2 bad settings or no publish yet (SettingsError).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from cdp.settings import Settings, WecomSettings
from cdp.wecom.api import (
    ADD_CORP_TAG,
    ATTEMPTS,
    BACKOFF_S,
    TAG_EXISTS,
    WecomClient,
    WecomError,
    check_credentials,
    raise_if_credentials_refused,
)
from cdp.wecom.ledger import CALL_LOG_FILE, LEDGER_FILE, Ledger, exclusive, run_dir
from cdp.wecom.plan import Change, Plan, load_plan, split_tag

EXIT_OK = 0
EXIT_FAILED = 1
PROGRESS_EVERY = 500
SHOWN = 20
"""Relationship lines of a dry run, and failure lines of an apply, printed at most."""
TAGS_PER_CALL = 100

Say = Callable[[str], None]
TagKey = tuple[str, str]


def sync_wecom(settings: Settings, *, apply: bool, say: Say) -> int:
    """Print the plan (dry run) or apply it; returns the exit code (see the module doc)."""
    wecom = settings.wecom
    if apply:
        check_credentials(wecom)
    plan = load_plan(settings.warehouse_dir, wecom.tag_prefix)
    directory = run_dir(settings.warehouse_dir, plan.publish.run_id)
    _say_plan(plan, Ledger(directory / LEDGER_FILE, plan.publish.run_id), say)
    if not apply:
        _say_dry_run(plan, wecom, say)
        return EXIT_OK
    with exclusive(directory, "cdp sync-wecom --apply"):
        ledger = Ledger(directory / LEDGER_FILE, plan.publish.run_id)
        pending = [change for change in plan.changes if not ledger.is_done(change)]
        if not pending:
            say("nothing to send: every relationship of this publish is already applied")
            return EXIT_OK
        client = WecomClient(
            wecom, directory / CALL_LOG_FILE, backoff_s=BACKOFF_S, attempts=ATTEMPTS
        )
        return _apply(plan, pending, ledger, client, say)


def _say_plan(plan: Plan, ledger: Ledger, say: Say) -> None:
    publish = plan.publish
    published = f", published {publish.published_at}" if publish.published_at else ""
    say(f"publish {publish.run_id} as of {publish.as_of_date}{published}")
    if not plan.changes:
        say("nothing to sync: the CDP's tags in WeCom already match")
        return
    done = sum(1 for change in plan.changes if ledger.is_done(change))
    say(
        f"plan: {len(plan.changes):,} relationships to update, {plan.tags_to_add:,} tags to add, "
        f"{plan.tags_to_remove:,} to remove ({done:,} relationships already applied)"
    )


def _say_dry_run(plan: Plan, wecom: WecomSettings, say: Say) -> None:
    if not plan.changes:
        return
    needed = plan.tags_needed()
    tags = sum(len(names) for names in needed.values())
    say(
        f"tags the plan adds: {len(needed):,} groups, {tags:,} tags "
        "(--apply creates the ones WeCom lacks)"
    )
    for group, names in list(needed.items())[:SHOWN]:
        say(f"  {group}: {', '.join(names)}")
    if len(needed) > SHOWN:
        say(f"  ... and {len(needed) - SHOWN:,} more groups")
    for change in plan.changes[:SHOWN]:
        say(change.line())
    if len(plan.changes) > SHOWN:
        say(f"... and {len(plan.changes) - SHOWN:,} more")
    say(f"dry run: nothing sent; `cdp sync-wecom --apply` sends it to {wecom.base_url}")


@dataclass
class _Tally:
    """What an apply did, for the progress lines and the summary."""

    updated: int = 0
    nothing_to_send: int = 0
    groups_created: int = 0
    tags_created: int = 0
    not_attempted: int = 0
    failures: list[tuple[Change, WecomError]] = field(default_factory=list)


def _apply(
    plan: Plan, pending: Sequence[Change], ledger: Ledger, client: WecomClient, say: Say
) -> int:
    tally = _Tally()
    skipped = len(plan.changes) - len(pending)
    say(f"applying {len(pending):,} relationships ({skipped:,} skipped as already done)")
    try:
        tag_ids = _ensure_tags(client, plan.tags_needed(pending), tally)
    except WecomError as exc:
        raise_if_credentials_refused(exc)
        say(f"cannot prepare the tags, nothing marked: {exc}")
        tally.not_attempted = len(pending)
        _say_summary(plan, skipped, tally, client, say)
        return EXIT_FAILED
    for done, change in enumerate(pending, start=1):
        stop = _mark(change, tag_ids, ledger, client, tally)
        if stop:
            tally.not_attempted = len(pending) - done
            say(f"stopping: WeCom did not recover ({stop})")
            break
        if done % PROGRESS_EVERY == 0:
            say(
                f"  {done:,}/{len(pending):,} relationships: {tally.updated:,} updated, "
                f"{len(tally.failures):,} failed, {client.calls:,} calls"
            )
    _say_summary(plan, skipped, tally, client, say)
    return EXIT_FAILED if tally.failures or tally.not_attempted else EXIT_OK


def _mark(
    change: Change, tag_ids: dict[TagKey, str], ledger: Ledger, client: WecomClient, tally: _Tally
) -> WecomError | None:
    """Apply one change and record it; returns the error when the whole run should stop.

    A remove tag WeCom does not have is dropped; a change left with nothing to send is
    recorded without a call. WeCom refusing this change alone is a failure of this change.
    """
    add_ids = [tag_ids[split_tag(tag)] for tag in change.add]
    remove_ids = [tag_ids[key] for key in map(split_tag, change.remove) if key in tag_ids]
    if not add_ids and not remove_ids:
        ledger.record(change, "nothing_to_send", [], [])
        tally.nothing_to_send += 1
        return None
    try:
        client.mark_tag(change.userid, change.external_userid, add_ids, remove_ids)
    except WecomError as exc:
        tally.failures.append((change, exc))
        return exc if exc.stops_the_run else None
    ledger.record(change, "marked", add_ids, remove_ids)
    tally.updated += 1
    return None


def _ensure_tags(
    client: WecomClient, needed: dict[str, list[str]], tally: _Tally
) -> dict[TagKey, str]:
    """(group, name) -> tag id of every CDP tag in WeCom, after creating the missing ones."""
    group_ids, tag_ids = _index(client.get_corp_tag_list())
    for group, names in needed.items():
        for retry in (False, True):
            missing = [name for name in names if (group, name) not in tag_ids]
            if not missing:
                break
            try:
                _create(client, group, missing, group_ids, tag_ids, tally)
                break
            except WecomError as exc:
                if exc.errcode != TAG_EXISTS or retry:
                    raise
                group_ids, tag_ids = _index(client.get_corp_tag_list())
    absent = [key for key in _keys(needed) if key not in tag_ids]
    if absent:
        group_ids, tag_ids = _index(client.get_corp_tag_list())
        absent = [key for key in _keys(needed) if key not in tag_ids]
    if absent:
        names = ", ".join(f"{group}/{name}" for group, name in absent[:5])
        raise WecomError(ADD_CORP_TAG, None, f"{len(absent)} tags still missing: {names}")
    return tag_ids


def _create(
    client: WecomClient,
    group: str,
    names: Sequence[str],
    group_ids: dict[str, str],
    tag_ids: dict[TagKey, str],
    tally: _Tally,
) -> None:
    """Create `names` in `group` (creating the group when WeCom lacks it); record the ids."""
    for start in range(0, len(names), TAGS_PER_CALL):
        chunk = names[start : start + TAGS_PER_CALL]
        if group in group_ids:
            created = client.add_corp_tag(chunk, group_id=group_ids[group])
        else:
            created = client.add_corp_tag(chunk, group_name=group)
            tally.groups_created += 1
        if isinstance(created.get("group_id"), str):
            group_ids[group] = created["group_id"]
        for tag in created.get("tag") or []:
            if isinstance(tag, dict) and tag.get("name") in chunk and tag.get("id"):
                tag_ids[(group, tag["name"])] = tag["id"]
                tally.tags_created += 1


def _index(groups: Iterable[dict]) -> tuple[dict[str, str], dict[TagKey, str]]:
    """Group name -> group id and (group, tag name) -> tag id; deleted ones left out."""
    group_ids: dict[str, str] = {}
    tag_ids: dict[TagKey, str] = {}
    for group in groups:
        name = group.get("group_name")
        if group.get("deleted") or not isinstance(name, str):
            continue
        group_ids.setdefault(name, group.get("group_id", ""))
        for tag in group.get("tag") or []:
            if isinstance(tag, dict) and not tag.get("deleted") and tag.get("id"):
                tag_ids.setdefault((name, tag.get("name", "")), tag["id"])
    return group_ids, tag_ids


def _keys(needed: dict[str, list[str]]) -> list[TagKey]:
    return [(group, name) for group, names in needed.items() for name in names]


def _say_summary(
    plan: Plan, skipped: int, tally: _Tally, client: WecomClient, say: Say
) -> None:
    for change, exc in tally.failures[:SHOWN]:
        say(f"failed: {change.userid} -> {change.external_userid}: {exc}")
    if len(tally.failures) > SHOWN:
        say(f"... and {len(tally.failures) - SHOWN:,} more failures")
    say(
        f"publish {plan.publish.run_id}: {tally.updated:,} relationships updated, "
        f"{tally.nothing_to_send:,} with nothing to send, {skipped:,} skipped as already done, "
        f"{len(tally.failures):,} failed, {tally.not_attempted:,} not attempted"
    )
    say(
        f"{client.calls:,} WeCom calls; created {tally.groups_created:,} groups and "
        f"{tally.tags_created:,} tags; call log: {client.log_path}"
    )
    if tally.failures or tally.not_attempted:
        say("run `cdp sync-wecom --apply` again to retry the rest (done ones are skipped)")
