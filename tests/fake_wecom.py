"""A fake WeCom (企业微信) API for tests: the corp tag endpoints and the 1:1 group-send task,
strict about request shapes.

`FakeWecom` serves gettoken, get_corp_tag_list, add_corp_tag, mark_tag and add_msg_template
on 127.0.0.1 (a free port) from a thread, keeps their state (tag groups, tags with ids, the
tags of each known staff/customer relationship, the group-send tasks created), records every
request, and can be told to fail: the next N calls with an errcode or an HTTP status, the
next N calls carried out but answered with an HTTP status (the answer lost), every mark_tag
or add_msg_template after the Kth, some customers refused in a task's `fail_list`, or the
access tokens expiring after some calls.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb

from cdp.settings import Settings, SettingsError

GETTOKEN = "/cgi-bin/gettoken"
GET_CORP_TAG_LIST = "/cgi-bin/externalcontact/get_corp_tag_list"
ADD_CORP_TAG = "/cgi-bin/externalcontact/add_corp_tag"
MARK_TAG = "/cgi-bin/externalcontact/mark_tag"
ADD_MSG_TEMPLATE = "/cgi-bin/externalcontact/add_msg_template"
MSG_TEMPLATE_MAX_EXTERNAL_USERIDS = 10_000
"""WeCom's limit of customers per add_msg_template call."""
TEXT_MAX_BYTES = 4000
"""WeCom's limit of a text message's content, in UTF-8 bytes."""
CREATE_TIME = 1_700_000_000

OK = (0, "ok")
INVALID_PARAMETER = 40058


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class _Failure:
    remaining: int
    endpoint: str | None
    errcode: int | None
    status: int | None


@dataclass(frozen=True)
class MsgTemplate:
    """One group-send task the fake created."""

    msgid: str
    sender: str
    external_userids: tuple[str, ...]
    content: str
    fail_list: tuple[str, ...]


@dataclass
class _Group:
    group_id: str
    name: str
    order: int
    tags: dict[str, str] = field(default_factory=dict)
    """tag id -> tag name, in creation order."""


class _Refused(Exception):
    def __init__(self, errcode: int, errmsg: str):
        super().__init__(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


class FakeWecom:
    """The fake API and its state; `url` is its base URL once `serve()` runs."""

    def __init__(
        self, corp_id: str = "ww-test-corp", secret: str = "s3cr3t", token_ttl: int = 7200
    ):
        self.corp_id = corp_id
        self.secret = secret
        self.token_ttl = token_ttl
        self.url = ""
        self.requests: list[Recorded] = []
        self.groups: dict[str, _Group] = {}
        self.relationships: dict[tuple[str, str], set[str]] = {}
        self.issued_tokens: list[str] = []
        self._valid_tokens: set[str] = set()
        self._expired_tokens: set[str] = set()
        self._expire_after: int | None = None
        self._failures: list[_Failure] = []
        self._mark_tag_fail_after: tuple[int, int] | None = None
        self._mark_tag_done = 0
        self.msg_templates: list[MsgTemplate] = []
        self.max_external_userids = MSG_TEMPLATE_MAX_EXTERNAL_USERIDS
        self._refused_recipients: set[str] = set()
        self._msg_template_fail_after: tuple[int, int] | None = None
        self._lost_answers: list[_Failure] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # -- setting up and inspecting the state ------------------------------------------------

    def add_tags(self, group_name: str, names: list[str]) -> list[str]:
        """Create tags (and their group when absent) as if someone had in the admin console."""
        with self._lock:
            group = self._group_named(group_name) or self._new_group(group_name)
            return [self._new_tag(group, name) for name in names]

    def add_relationship(self, userid: str, external_userid: str, tags: list[str] = ()) -> None:
        """A customer of a staff member, carrying `tags` (`group/name`, created when absent)."""
        ids = set()
        for tag in tags:
            group_name, _, name = tag.partition("/")
            ids.add(self.tag_id(group_name, name) or self.add_tags(group_name, [name])[0])
        with self._lock:
            self.relationships[(userid, external_userid)] = ids

    def tag_id(self, group_name: str, name: str) -> str | None:
        group = self._group_named(group_name)
        for tag_id, tag_name in (group.tags if group else {}).items():
            if tag_name == name:
                return tag_id
        return None

    def state(self) -> dict[tuple[str, str], set[str]]:
        """(userid, external_userid) -> the `group/name` of each tag it carries."""
        names = {
            tag_id: f"{group.name}/{name}"
            for group in self.groups.values()
            for tag_id, name in group.tags.items()
        }
        with self._lock:
            return {key: {names[i] for i in ids} for key, ids in self.relationships.items()}

    def tag_names(self) -> set[str]:
        return {f"{g.name}/{name}" for g in self.groups.values() for name in g.tags.values()}

    def calls(self, path: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if path is None or r.path == path]

    def received(self) -> list[tuple[str, str, str]]:
        """(sender, external_userid, content) of every customer of every task created, in
        order; the customers of a task's fail_list left out."""
        return [
            (task.sender, external_userid, task.content)
            for task in self.msg_templates
            for external_userid in task.external_userids
            if external_userid not in task.fail_list
        ]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- failures ---------------------------------------------------------------------------

    def fail_next(self, count: int, errcode: int = -1, *, endpoint: str | None = None) -> None:
        """Answer the next `count` calls (to `endpoint`, or any) with `errcode`."""
        self._failures.append(_Failure(count, endpoint, errcode, None))

    def http_error_next(self, count: int, status: int = 503, *, endpoint: str | None = None):
        """Answer the next `count` calls (to `endpoint`, or any) with HTTP `status`."""
        self._failures.append(_Failure(count, endpoint, None, status))

    def fail_mark_tag_after(self, successes: int, errcode: int = 48002) -> None:
        """After `successes` more successful mark_tag calls, refuse every mark_tag."""
        self._mark_tag_fail_after = (self._mark_tag_done + successes, errcode)

    def fail_add_msg_template_after(self, successes: int, errcode: int = 41048) -> None:
        """After `successes` more tasks created, refuse every add_msg_template with `errcode`
        (default 41048: the sender may not use customer contact)."""
        self._msg_template_fail_after = (len(self.msg_templates) + successes, errcode)

    def lose_answer_next(self, count: int, status: int = 502, *, endpoint: str | None = None):
        """Carry out the next `count` calls (to `endpoint`, or any), then answer HTTP `status`
        instead of their answer: the caller cannot know the call was done."""
        self._lost_answers.append(_Failure(count, endpoint, None, status))

    def refuse_recipients(self, *external_userids: str) -> None:
        """add_msg_template lists these customers in `fail_list` (e.g. no longer contacts)."""
        self._refused_recipients |= set(external_userids)

    def expire_tokens(self, after_calls: int = 0) -> None:
        """Expire every token issued so far (42001) once `after_calls` more calls are made."""
        self._expire_after = after_calls

    def revoke_tokens(self) -> None:
        """Forget every token issued so far: they answer 40014 (invalid access_token)."""
        self._valid_tokens.clear()

    def clear_failures(self) -> None:
        self._failures.clear()
        self._mark_tag_fail_after = None
        self._msg_template_fail_after = None
        self._lost_answers.clear()
        self._expire_after = None

    # -- serving ----------------------------------------------------------------------------

    @contextmanager
    def serve(self) -> Iterator[FakeWecom]:
        """Serve on 127.0.0.1 (a free port) from a thread; `url` is set meanwhile."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.fake = self  # type: ignore[attr-defined]
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join()

    def handle(self, method: str, target: str, raw: bytes) -> tuple[int, dict[str, Any] | None]:
        """Answer one request: (HTTP status, JSON answer or None)."""
        parts = urlsplit(target)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = raw
        with self._lock:
            self.requests.append(Recorded(method, parts.path, query, body))
            failure = self._injected(parts.path)
            if failure and failure.status:
                return failure.status, None
            if failure:
                return 200, _answer(failure.errcode, "injected failure")
            route = ROUTES.get(parts.path)
            if route is None:
                return 404, None
            expected_method, endpoint = route
            try:
                if method != expected_method:
                    raise _Refused(INVALID_PARAMETER, f"invalid parameter: use {expected_method}")
                if parts.path != GETTOKEN:
                    self._check_token(query)
                    if not isinstance(body, dict):
                        raise _Refused(INVALID_PARAMETER, "invalid parameter: body not an object")
                elif raw:
                    raise _Refused(INVALID_PARAMETER, "invalid parameter: gettoken has no body")
                answer = {"errcode": 0, "errmsg": "ok", **endpoint(self, query, body)}
            except _Refused as refused:
                answer = _answer(refused.errcode, refused.errmsg)
            lost = self._injected(parts.path, self._lost_answers)
            return (lost.status, None) if lost else (200, answer)

    def _injected(self, path: str, failures: list[_Failure] | None = None) -> _Failure | None:
        for failure in self._failures if failures is None else failures:
            if failure.remaining > 0 and failure.endpoint in (None, path):
                failure.remaining -= 1
                return failure
        return None

    def _check_token(self, query: dict[str, str]) -> None:
        token = query.get("access_token")
        if self._expire_after is not None:
            if self._expire_after == 0:
                self._expired_tokens |= self._valid_tokens
                self._valid_tokens.clear()
                self._expire_after = None
            else:
                self._expire_after -= 1
        if not token:
            raise _Refused(41001, "access_token missing")
        if token in self._expired_tokens:
            raise _Refused(42001, "access_token expired")
        if token not in self._valid_tokens:
            raise _Refused(40014, "invalid access_token")

    # -- endpoints --------------------------------------------------------------------------

    def _gettoken(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if set(query) != {"corpid", "corpsecret"}:
            raise _Refused(INVALID_PARAMETER, "invalid parameter: corpid and corpsecret only")
        if query["corpid"] != self.corp_id:
            raise _Refused(40013, "invalid corpid")
        if query["corpsecret"] != self.secret:
            raise _Refused(40001, "invalid credential")
        token = f"token-{next(self._ids)}-{len(self.issued_tokens)}"
        self.issued_tokens.append(token)
        self._valid_tokens.add(token)
        return {"access_token": token, "expires_in": self.token_ttl}

    def _get_corp_tag_list(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        _check_keys(body, {"tag_id": list, "group_id": list}, required=set())
        tag_ids = _strings(body.get("tag_id", []), "tag_id")
        group_ids = _strings(body.get("group_id", []), "group_id")
        groups = []
        for group in self.groups.values():
            if group_ids and group.group_id not in group_ids:
                continue
            tags = [
                {"id": i, "name": n, "create_time": CREATE_TIME, "order": 0, "deleted": False}
                for i, n in group.tags.items()
                if not tag_ids or i in tag_ids
            ]
            if tag_ids and not tags:
                continue
            groups.append({**self._group_fields(group), "deleted": False, "tag": tags})
        return {"tag_group": groups}

    def _add_corp_tag(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        allowed = {"group_id": str, "group_name": str, "order": int, "tag": list, "agentid": int}
        _check_keys(body, allowed, required={"tag"})
        tags = body["tag"]
        if not tags:
            raise _Refused(INVALID_PARAMETER, "invalid parameter: tag is empty")
        for tag in tags:
            if not isinstance(tag, dict):
                raise _Refused(INVALID_PARAMETER, "invalid parameter: tag item is not an object")
            _check_keys(tag, {"name": str, "order": int}, required={"name"})
            if not tag["name"].strip():
                raise _Refused(INVALID_PARAMETER, "invalid parameter: empty tag name")
        names = [tag["name"] for tag in tags]
        if "group_id" in body:
            group = self.groups.get(body["group_id"])
            if group is None:
                raise _Refused(40068, "invalid tagid")
        elif body.get("group_name", "").strip():
            group = self._group_named(body["group_name"])
        else:
            raise _Refused(INVALID_PARAMETER, "invalid parameter: group_id or group_name needed")
        existing = set(group.tags.values()) if group else set()
        if len(set(names)) != len(names) or existing & set(names):
            raise _Refused(40071, "UserTag Name Already Exist")
        if group is None:
            group = self._new_group(body["group_name"])
        created = [
            {"id": self._new_tag(group, name), "name": name, "create_time": CREATE_TIME, "order": 0}
            for name in names
        ]
        return {"tag_group": {**self._group_fields(group), "tag": created}}

    def _mark_tag(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        allowed = {"userid": str, "external_userid": str, "add_tag": list, "remove_tag": list}
        _check_keys(body, allowed, required={"userid", "external_userid"})
        add = _strings(body.get("add_tag", []), "add_tag")
        remove = _strings(body.get("remove_tag", []), "remove_tag")
        if not body["userid"] or not body["external_userid"] or not (add or remove):
            raise _Refused(INVALID_PARAMETER, "invalid parameter: nothing to mark")
        if self._mark_tag_fail_after and self._mark_tag_done >= self._mark_tag_fail_after[0]:
            raise _Refused(self._mark_tag_fail_after[1], "api forbidden (injected)")
        known = {tag_id for group in self.groups.values() for tag_id in group.tags}
        if not set(add + remove) <= known:
            raise _Refused(40068, "invalid tagid")
        key = (body["userid"], body["external_userid"])
        if key not in self.relationships:
            raise _Refused(84061, "not external contact")
        self.relationships[key] = (self.relationships[key] - set(remove)) | set(add)
        self._mark_tag_done += 1
        return {}

    def _add_msg_template(self, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        allowed = {
            "chat_type": str,
            "external_userid": list,
            "chat_id_list": list,
            "tag_filter": dict,
            "sender": str,
            "allow_select": bool,
            "text": dict,
            "attachments": list,
        }
        _check_keys(body, allowed, required={"chat_type", "sender"})
        if body["chat_type"] != "single" or "chat_id_list" in body:
            raise _Refused(INVALID_PARAMETER, "invalid parameter: chat_type (the fake: single)")
        recipients = _strings(body.get("external_userid", []), "external_userid")
        if not recipients:
            # WeCom would send to every customer of the sender: never what the CDP means.
            raise _Refused(INVALID_PARAMETER, "invalid parameter: external_userid is empty")
        if len(recipients) > self.max_external_userids:
            raise _Refused(INVALID_PARAMETER, "invalid parameter: too many external_userid")
        if len(set(recipients)) != len(recipients):
            raise _Refused(INVALID_PARAMETER, "invalid parameter: duplicate external_userid")
        if not body["sender"]:
            raise _Refused(INVALID_PARAMETER, "invalid parameter: sender")
        text = body.get("text")
        if text is None and not body.get("attachments"):
            raise _Refused(INVALID_PARAMETER, "invalid parameter: text or attachments needed")
        content = ""
        if text is not None:
            _check_keys(text, {"content": str}, required={"content"})
            content = text["content"]
            if not content.strip() or len(content.encode("utf-8")) > TEXT_MAX_BYTES:
                raise _Refused(INVALID_PARAMETER, "invalid parameter: text.content")
        fail_after = self._msg_template_fail_after
        if fail_after and len(self.msg_templates) >= fail_after[0]:
            raise _Refused(fail_after[1], "user not in customer contact range (injected)")
        fail_list = tuple(r for r in recipients if r in self._refused_recipients)
        msgid = f"msgFAKE{next(self._ids):06d}"
        task = MsgTemplate(msgid, body["sender"], tuple(recipients), content, fail_list)
        self.msg_templates.append(task)
        return {"fail_list": list(fail_list), "msgid": msgid}

    # -- helpers ----------------------------------------------------------------------------

    def _group_named(self, name: str) -> _Group | None:
        return next((group for group in self.groups.values() if group.name == name), None)

    def _new_group(self, name: str) -> _Group:
        group = _Group(f"etGROUP{next(self._ids)}", name, len(self.groups) + 1)
        self.groups[group.group_id] = group
        return group

    def _new_tag(self, group: _Group, name: str) -> str:
        tag_id = f"etTAG{next(self._ids)}"
        group.tags[tag_id] = name
        return tag_id

    @staticmethod
    def _group_fields(group: _Group) -> dict[str, Any]:
        return {
            "group_id": group.group_id,
            "group_name": group.name,
            "create_time": CREATE_TIME,
            "order": group.order,
        }


def point_cdp_at(fake: FakeWecom, tmp_path: Path, monkeypatch: Any) -> Path:
    """The settings of a `cdp` WeCom command (`sync-wecom`, `push-actions`) run against `fake`
    from `tmp_path`: its corp id, secret and URL, no rate limit to speak of, a warehouse and a
    Dagster home under `tmp_path`. Returns the warehouse folder."""
    monkeypatch.chdir(tmp_path)
    warehouse = tmp_path / "warehouse"
    monkeypatch.setenv("CDP_WAREHOUSE_DIR", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("CDP_WECOM_CORP_ID", fake.corp_id)
    monkeypatch.setenv("CDP_WECOM_SECRET", fake.secret)
    monkeypatch.setenv("CDP_WECOM_BASE_URL", fake.url)
    monkeypatch.setenv("CDP_WECOM_CALLS_PER_SECOND", "10000")
    return warehouse


def without_database(warehouse: Path) -> None:
    """Make the publish of `warehouse` one written with CDP_PUBLISH_DATABASE=no: every table of
    its published.duckdb as published/<table>.parquet, and no database."""
    database = warehouse / "published.duckdb"
    with duckdb.connect(str(database), read_only=True) as conn:
        for (table,) in conn.sql("show tables").fetchall():
            conn.execute(f"copy {table} to '{warehouse / 'published' / table}.parquet'")
    database.unlink()


def run_command(add_parser: Callable[[Any], Any], name: str, *argv: str) -> int:
    """`cdp NAME ARGV` through the command module's parser (`add_parser`), with cli.main's
    handling of SettingsError (exit 2, one line on stderr)."""
    parser = argparse.ArgumentParser(prog="cdp")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args([name, *argv])
    try:
        return args.handler(args, Settings.from_env())
    except SettingsError as exc:
        print(f"cdp {name}: {exc}", file=sys.stderr)
        return 2


ROUTES = {
    GETTOKEN: ("GET", FakeWecom._gettoken),
    GET_CORP_TAG_LIST: ("POST", FakeWecom._get_corp_tag_list),
    ADD_CORP_TAG: ("POST", FakeWecom._add_corp_tag),
    MARK_TAG: ("POST", FakeWecom._mark_tag),
    ADD_MSG_TEMPLATE: ("POST", FakeWecom._add_msg_template),
}


def _answer(errcode: int | None, errmsg: str) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": errmsg}


def _check_keys(body: dict[str, Any], types: dict[str, type], required: set[str]) -> None:
    """Only the keys of `types`, each of its type (bool is not int), and all of `required`."""
    for key, value in body.items():
        kind = types.get(key)
        if kind is None or not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise _Refused(INVALID_PARAMETER, f"invalid parameter: {key}")
    missing = required - set(body)
    if missing:
        raise _Refused(INVALID_PARAMETER, f"invalid parameter: {sorted(missing)[0]} missing")


def _strings(values: list[Any], what: str) -> list[str]:
    if not all(isinstance(value, str) and value for value in values):
        raise _Refused(INVALID_PARAMETER, f"invalid parameter: {what} holds a non-string")
    return values


class _Handler(BaseHTTPRequestHandler):
    """Hands each request to the server's FakeWecom."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._answer("POST")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fake: FakeWecom = self.server.fake  # type: ignore[attr-defined]
        status, answer = fake.handle(method, self.path, raw)
        data = json.dumps(answer or {}, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake records requests itself."""
