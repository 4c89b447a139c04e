"""A small WeCom (企业微信) API client for the customer-contact endpoints the CDP calls: the
corp tags (`cdp sync-wecom`) and the 1:1 group-send task (`cdp push-actions`).

It caches the access token (fetched again shortly before it expires, and when WeCom answers
40014 or 42001), retries transient failures with exponential backoff, keeps every call under
`calls_per_second`, and appends one JSON line per HTTP call to a call log. The corp secret
and the access token never reach the log or an exception message, in any form: every text the
client logs or raises has the `corpsecret` and `access_token` query parameters' values
replaced by `***` and their raw, URL-encoded, JSON-escaped and repr() forms removed (an
error message or an answer may quote the request's URL).

A call that is not idempotent (`add_msg_template` creates a new task each time it reaches
WeCom) is retried only when WeCom cannot have carried it out: an errcode that says so, HTTP
429, or a connection that failed before the request was sent. When the request may have
reached WeCom but no answer came back (a 5xx, a dropped connection, a timeout, an unreadable
answer), it is not sent again: the WecomError says `uncertain`.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cdp.settings import SettingsError, WecomSettings

GETTOKEN = "/cgi-bin/gettoken"
GET_CORP_TAG_LIST = "/cgi-bin/externalcontact/get_corp_tag_list"
ADD_CORP_TAG = "/cgi-bin/externalcontact/add_corp_tag"
MARK_TAG = "/cgi-bin/externalcontact/mark_tag"
ADD_MSG_TEMPLATE = "/cgi-bin/externalcontact/add_msg_template"

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
SECRET_PARAMETERS = ("corpsecret", "access_token")
"""Query parameters whose values never reach a log or a message."""
_SECRET_PARAMETER = re.compile(
    r"\b(" + "|".join(SECRET_PARAMETERS) + r")(=|%3D)[^&\s'\"<>\\]*", re.IGNORECASE
)
_PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")
BACKOFF_S = 0.5
"""First retry delay of a transient failure (doubled each retry)."""
ATTEMPTS = 5
"""Most tries of one call on transient failures."""


def check_credentials(wecom: WecomSettings) -> None:
    """What an `--apply` needs before it reads anything: the corp id, the secret, a base URL."""
    required = (("CDP_WECOM_CORP_ID", wecom.corp_id), ("CDP_WECOM_SECRET", wecom.secret))
    missing = [name for name, value in required if not value]
    if missing:
        raise SettingsError(f"{' and '.join(missing)} must be set for --apply")
    if not wecom.base_url.startswith(("https://", "http://")):
        raise SettingsError(f"CDP_WECOM_BASE_URL: {wecom.base_url!r} is not an http(s) URL")
    if any(ch.isspace() or not ch.isprintable() for ch in wecom.base_url):
        raise SettingsError(
            f"CDP_WECOM_BASE_URL: {wecom.base_url!r} holds a space or a control character"
        )


def secret_forms(value: str) -> list[str]:
    """`value` as it may appear in a text: raw, URL-encoded (either way, either case of hex
    digits), JSON-escaped, repr()'d; longest first, so a longer form is replaced whole."""
    if not value:
        return []
    encoded = {
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote(value),
        urllib.parse.quote_plus(value),
        urllib.parse.quote_plus(value, safe="/"),
    }
    encoded |= {_PERCENT_ESCAPE.sub(lambda m: m.group().lower(), form) for form in encoded}
    forms = {
        value,
        *encoded,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
    }
    return sorted(forms, key=len, reverse=True)


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """`text` with the values of the secret query parameters (`corpsecret=...`,
    `access_token=...`) and every form of each of `secrets` replaced by `***`."""
    text = _SECRET_PARAMETER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    for secret in secrets:
        for form in secret_forms(secret):
            text = text.replace(form, REDACTED)
    return text


class WecomError(Exception):
    """WeCom refused a call (a permanent errcode) or a call kept failing after its retries.

    `errcode` is WeCom's code, or None when the failure was HTTP or the network; `transient`
    is true when the retries ran out on failures that are normally temporary; `uncertain` is
    true when a call that is not idempotent may have been carried out by WeCom although no
    answer said so (it was not sent again).
    """

    def __init__(
        self,
        endpoint: str,
        errcode: int | None,
        errmsg: str,
        *,
        transient: bool = False,
        uncertain: bool = False,
    ):
        self.endpoint = endpoint
        self.errcode = errcode
        self.errmsg = errmsg
        self.transient = transient
        self.uncertain = uncertain
        code = "no errcode" if errcode is None else f"errcode {errcode}"
        retried = " (retries exhausted)" if transient else ""
        if uncertain:
            retried = " (no answer: WeCom may have carried it out, so it was not sent again)"
        super().__init__(f"{endpoint}: {code}: {' '.join(errmsg.split())}{retried}")

    @property
    def credentials_refused(self) -> bool:
        """gettoken refused the corp id or the secret: a settings problem (exit 2)."""
        return self.endpoint == GETTOKEN and self.errcode in CREDENTIAL_ERRORS

    @property
    def stops_the_run(self) -> bool:
        """WeCom or the network is failing as a whole (not this one call): stop sending."""
        return (
            self.transient
            or self.uncertain
            or self.errcode is None
            or self.errcode in TOKEN_ERRORS
            or self.endpoint == GETTOKEN
        )


def raise_if_credentials_refused(exc: WecomError) -> None:
    """A WecomError saying the corp id or secret is wrong becomes a SettingsError."""
    if exc.credentials_refused:
        raise SettingsError(f"WeCom refused CDP_WECOM_CORP_ID / CDP_WECOM_SECRET: {exc}") from None


class _Transient(Exception):
    """One attempt failed in a way worth retrying; `reached` when the request may have
    reached WeCom (so a call that is not idempotent may have been carried out)."""

    def __init__(self, errcode: int | None, errmsg: str, *, reached: bool = False):
        super().__init__(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg
        self.reached = reached


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
        backoff_s: float = BACKOFF_S,
        attempts: int = ATTEMPTS,
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
        self._tokens: list[str] = []
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

    def add_msg_template(
        self, sender: str, external_userids: Sequence[str], content: str
    ) -> dict[str, Any]:
        """Create a 1:1 group-send task (企业群发, `chat_type` single) of staff `sender` to
        `external_userids` with the text `content`; returns the answer (`msgid`, `fail_list`).

        The staff member confirms the task in WeCom before the customers receive it. Not
        idempotent: a call that may have reached WeCom is never sent twice (see the module doc).
        """
        if not sender or not external_userids or not content:
            raise ValueError("add_msg_template needs a sender, customers and a text")
        body = {
            "chat_type": "single",
            "sender": sender,
            "external_userid": list(external_userids),
            "text": {"content": content},
        }
        return self._call_with_token(ADD_MSG_TEMPLATE, body, idempotent=False)

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
        self._tokens.append(token)
        self._token_valid_until = self._clock() + max(lifetime - TOKEN_MARGIN_S, lifetime / 2)
        return token

    def _call_with_token(
        self, endpoint: str, body: Mapping[str, Any], *, idempotent: bool = True
    ) -> dict[str, Any]:
        """POST `body` with the access token; once more with a new token on 40014/42001."""
        try:
            query = {"access_token": self._access_token()}
            return self._call("POST", endpoint, query, body, idempotent=idempotent)
        except WecomError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
        self._token = ""
        query = {"access_token": self._access_token()}
        return self._call("POST", endpoint, query, body, idempotent=idempotent)

    def _call(
        self,
        method: str,
        endpoint: str,
        query: Mapping[str, str],
        body: Mapping[str, Any] | None,
        *,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """One API call with retries on transient failures; raises WecomError otherwise.

        A call that is not `idempotent` is not retried once its request may have reached
        WeCom: it raises WecomError(uncertain=True) instead.
        """
        for attempt in range(1, self._attempts + 1):
            try:
                answer = self._attempt(method, endpoint, query, body, attempt)
            except _Transient as exc:
                if exc.reached and not idempotent:
                    raise WecomError(endpoint, exc.errcode, exc.errmsg, uncertain=True) from None
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
                errmsg = self._redact(f"HTTP {exc.code} {exc.reason}")
                if exc.code >= 500 or exc.code == 429:
                    raise _Transient(None, errmsg, reached=exc.code != 429) from None
                raise WecomError(endpoint, None, errmsg) from None
            except urllib.error.URLError as exc:
                # urllib wraps what fails while connecting and sending: WeCom has no request.
                errmsg = f"connection failed: {self._redact(str(exc.reason))}"
                raise _Transient(None, errmsg) from None
            except http.client.InvalidURL as exc:
                # Refused before anything was sent (its message quotes the URL): not retried.
                errmsg = f"invalid URL: {self._redact(str(exc))}"
                raise WecomError(endpoint, None, errmsg) from None
            except (http.client.HTTPException, OSError) as exc:
                # Raised unwrapped while waiting for or reading the answer: the request was sent.
                errmsg = f"connection failed: {self._redact(str(exc))}"
                raise _Transient(None, errmsg, reached=True) from None
            try:
                answer = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                errmsg = "the answer is not JSON"
                raise _Transient(None, errmsg, reached=True) from None
            if not isinstance(answer, dict) or not isinstance(answer.get("errcode", 0), int):
                errmsg = "the answer is not a JSON object with an integer errcode"
                raise _Transient(None, errmsg, reached=True) from None
            errcode = answer.get("errcode", 0)
            errmsg = self._redact(str(answer.get("errmsg", "")))
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
        return redact(text, self._secrets)

    @property
    def _secrets(self) -> list[str]:
        """The secret and every token issued to this client so far (a token replaced after
        40014/42001 may still be quoted by a late message)."""
        return [self._settings.secret, *self._tokens]

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
        """Append one JSON line for an HTTP call; the secret and the tokens are redacted (the
        values before they are JSON-escaped, the line after)."""
        shown_query = {
            key: REDACTED if key in SECRET_PARAMETERS else self._redact(value)
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
            "errmsg": self._redact(errmsg),
            "attempt": attempt,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        line = self._redact(json.dumps(entry, ensure_ascii=False))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(line + "\n")
