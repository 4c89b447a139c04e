"""A small WeCom (企业微信) API client for the customer-contact corp tag endpoints.

It caches the access token (fetched again shortly before it expires, and when WeCom answers
40014 or 42001), retries transient failures with exponential backoff, keeps every call under
`calls_per_second`, and appends one JSON line per HTTP call to a call log. The corp secret
and the access token never reach the log or an exception message.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cdp.settings import WecomSettings

GETTOKEN = "/cgi-bin/gettoken"
GET_CORP_TAG_LIST = "/cgi-bin/externalcontact/get_corp_tag_list"
ADD_CORP_TAG = "/cgi-bin/externalcontact/add_corp_tag"
MARK_TAG = "/cgi-bin/externalcontact/mark_tag"

TOKEN_ERRORS = frozenset({40014, 42001})
"""invalid access_token, access_token expired: fetch a new token and send the call again."""
TRANSIENT_ERRORS = frozenset({-1, 45009, 45033})
"""system busy, API frequency limit, concurrency limit: back off and send the call again."""
CREDENTIAL_ERRORS = frozenset({40001, 40013})
"""invalid corp secret, invalid corp id (answers of gettoken)."""
TAG_EXISTS = 40071
TOKEN_MARGIN_S = 300.0
"""A cached token is replaced this long before WeCom says it expires."""
TIMEOUT_S = 30.0
REDACTED = "***"


class WecomError(Exception):
    """WeCom refused a call (a permanent errcode) or a call kept failing after its retries.

    `errcode` is WeCom's code, or None when the failure was HTTP or the network; `transient`
    is true when the retries ran out on failures that are normally temporary.
    """

    def __init__(self, endpoint: str, errcode: int | None, errmsg: str, *, transient: bool = False):
        self.endpoint = endpoint
        self.errcode = errcode
        self.errmsg = errmsg
        self.transient = transient
        code = "no errcode" if errcode is None else f"errcode {errcode}"
        retried = " (retries exhausted)" if transient else ""
        super().__init__(f"{endpoint}: {code}: {' '.join(errmsg.split())}{retried}")


class _Transient(Exception):
    """One attempt failed in a way worth retrying."""

    def __init__(self, errcode: int | None, errmsg: str):
        super().__init__(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


class WecomClient:
    """Calls the WeCom API for `settings`; every HTTP call is logged to `log_path` (JSONL).

    `sleep` is used for backoff and the rate limit; `backoff_s` is the first retry delay
    (doubled each retry) and `attempts` the most tries per call for transient failures.
    `calls` counts the HTTP calls made, retries and token fetches included.
    """

    def __init__(
        self,
        settings: WecomSettings,
        log_path: Path,
        *,
        sleep: Callable[[float], None] = time.sleep,
        backoff_s: float = 0.5,
        attempts: int = 5,
        clock: Callable[[], float] = time.monotonic,
        timeout_s: float = TIMEOUT_S,
    ):
        self._settings = settings
        self.log_path = log_path
        self._sleep = sleep
        self._backoff_s = backoff_s
        self._attempts = max(1, attempts)
        self._clock = clock
        self._timeout_s = timeout_s
        self._interval = 1.0 / settings.calls_per_second
        self._next_call_at = 0.0
        self._token = ""
        self._token_valid_until = 0.0
        self.calls = 0

    def get_corp_tag_list(self) -> list[dict[str, Any]]:
        """All corp tag groups with their tags (`tag_group` of the answer)."""
        answer = self._call_with_token(GET_CORP_TAG_LIST, {"tag_id": [], "group_id": []})
        groups = answer.get("tag_group") or []
        return [group for group in groups if isinstance(group, dict)]

    def add_corp_tag(
        self, names: Sequence[str], *, group_id: str | None = None, group_name: str | None = None
    ) -> dict[str, Any]:
        """Create tags `names` in the group `group_id`, or in a new group `group_name`.

        Returns the answer's `tag_group` (with the new tags and their ids).
        """
        if not names or (group_id is None) == (group_name is None):
            raise ValueError("add_corp_tag needs tag names and exactly one of group_id, group_name")
        body: dict[str, Any] = {"group_id": group_id} if group_id else {"group_name": group_name}
        body["order"] = 0
        body["tag"] = [{"name": name, "order": 0} for name in names]
        answer = self._call_with_token(ADD_CORP_TAG, body)
        return answer.get("tag_group") or {}

    def mark_tag(
        self, userid: str, external_userid: str, add_tag: Sequence[str], remove_tag: Sequence[str]
    ) -> None:
        """Add and remove corp tags (ids) on the customer `external_userid` of staff `userid`."""
        if not add_tag and not remove_tag:
            raise ValueError("mark_tag needs a tag to add or to remove")
        body: dict[str, Any] = {"userid": userid, "external_userid": external_userid}
        if add_tag:
            body["add_tag"] = list(add_tag)
        if remove_tag:
            body["remove_tag"] = list(remove_tag)
        self._call_with_token(MARK_TAG, body)

    def _access_token(self) -> str:
        """The cached token, or a new one from gettoken when it is missing or about to expire."""
        if self._token and self._clock() < self._token_valid_until:
            return self._token
        self._token = ""
        query = {"corpid": self._settings.corp_id, "corpsecret": self._settings.secret}
        answer = self._call("GET", GETTOKEN, query, None)
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise WecomError(GETTOKEN, None, "the answer has no access_token")
        expires_in = answer.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, (int, float)) else 7200.0
        self._token = token
        self._token_valid_until = self._clock() + max(lifetime - TOKEN_MARGIN_S, lifetime / 2)
        return token

    def _call_with_token(self, endpoint: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST `body` with the access token; once more with a new token on 40014/42001."""
        try:
            return self._call("POST", endpoint, {"access_token": self._access_token()}, body)
        except WecomError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
        self._token = ""
        return self._call("POST", endpoint, {"access_token": self._access_token()}, body)

    def _call(
        self, method: str, endpoint: str, query: Mapping[str, str], body: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """One API call with retries on transient failures; raises WecomError otherwise."""
        for attempt in range(1, self._attempts + 1):
            try:
                answer = self._attempt(method, endpoint, query, body, attempt)
            except _Transient as exc:
                if attempt == self._attempts:
                    raise WecomError(endpoint, exc.errcode, exc.errmsg, transient=True) from None
                self._sleep(self._backoff_s * 2 ** (attempt - 1))
                continue
            errcode = answer.get("errcode", 0)
            if errcode != 0:
                raise WecomError(endpoint, errcode, self._redact(str(answer.get("errmsg", ""))))
            return answer
        raise AssertionError("unreachable")

    def _attempt(
        self,
        method: str,
        endpoint: str,
        query: Mapping[str, str],
        body: Mapping[str, Any] | None,
        attempt: int,
    ) -> dict[str, Any]:
        """Send one HTTP request and log it; raise _Transient for a retryable failure."""
        self._wait_for_rate_limit()
        url = f"{self._settings.base_url}{endpoint}?{urllib.parse.urlencode(query)}"
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json; charset=utf-8")
        started = time.perf_counter()
        status: int | None = None
        errcode: int | None = None
        errmsg = ""
        self.calls += 1
        try:
            try:
                with urllib.request.urlopen(request, timeout=self._timeout_s) as response:
                    status = response.status
                    raw = response.read()
            except urllib.error.HTTPError as exc:
                status = exc.code
                errmsg = f"HTTP {exc.code} {exc.reason}"
                if exc.code >= 500 or exc.code == 429:
                    raise _Transient(None, errmsg) from None
                raise WecomError(endpoint, None, errmsg) from None
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                errmsg = f"connection failed: {self._redact(str(reason))}"
                raise _Transient(None, errmsg) from None
            try:
                answer = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                errmsg = "the answer is not JSON"
                raise _Transient(None, errmsg) from None
            if not isinstance(answer, dict) or not isinstance(answer.get("errcode", 0), int):
                errmsg = "the answer is not a JSON object with an integer errcode"
                raise _Transient(None, errmsg) from None
            errcode = answer.get("errcode", 0)
            errmsg = str(answer.get("errmsg", ""))
            if errcode in TRANSIENT_ERRORS:
                raise _Transient(errcode, errmsg)
            return answer
        finally:
            self._log(method, endpoint, query, body, status, errcode, errmsg, attempt, started)

    def _wait_for_rate_limit(self) -> None:
        now = self._clock()
        if self._next_call_at > now:
            self._sleep(self._next_call_at - now)
            now = self._clock()
        self._next_call_at = max(now, self._next_call_at) + self._interval

    def _redact(self, text: str) -> str:
        for secret in (self._settings.secret, self._token):
            if secret:
                text = text.replace(secret, REDACTED)
        return text

    def _log(
        self,
        method: str,
        endpoint: str,
        query: Mapping[str, str],
        body: Mapping[str, Any] | None,
        status: int | None,
        errcode: int | None,
        errmsg: str,
        attempt: int,
        started: float,
    ) -> None:
        """Append one JSON line for an HTTP call; the secret and the token are redacted."""
        shown_query = {
            key: REDACTED if key in ("corpsecret", "access_token") else value
            for key, value in query.items()
        }
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "method": method,
            "endpoint": endpoint,
            "query": shown_query,
            "request": body,
            "http_status": status,
            "errcode": errcode,
            "errmsg": errmsg,
            "attempt": attempt,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        line = self._redact(json.dumps(entry, ensure_ascii=False))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(line + "\n")
