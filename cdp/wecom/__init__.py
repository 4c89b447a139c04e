"""`cdp sync-wecom`: push the CDP's customer tags to WeCom (企业微信) corp tags.

`api` is the HTTP client, `plan` reads the published `wecom_tag_sync` table, `ledger` makes
`--apply` idempotent per publish, `sync` runs the whole thing and `command` is the CLI entry.
"""
