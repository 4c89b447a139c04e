"""What leaves the warehouse for WeCom (企业微信).

`cdp sync-wecom` pushes the CDP's customer tags to WeCom corp tags: `plan` reads the published
`wecom_tag_sync` table and `sync` runs it. `cdp push-actions` sends the published `issued`
actions as group-send tasks and writes the mini-program's files (docs/wecom-push.md):
`push_plan` reads `customer_actions` and `push` runs it. Both use `api` (the HTTP client:
token, retries, rate limit, call log) and `ledger` (what `--apply` already did, so a rerun
does only the rest). Their command lines are orchestration/cli/sync_wecom.py and
orchestration/cli/push_actions.py.
"""
