"""Sessions for members-only boards: the cookies a ``forum`` source sends, and the
login form that gets them.

A source's ``credentials`` (values read from the environment at start-up):

- ``cookie``: a Cookie header as a browser sends it (``xf_user=...; xf_session=...``),
  copied from a logged-in browser;
- ``username`` and ``password``: filled into the board's own login form. The form
  is read from the ``login_url`` page (or, without one, from the login wall the
  board shows instead of the page asked for): its hidden fields (CSRF tokens such
  as XenForo's ``_xfToken`` or MyBB's ``my_post_key``), its checked boxes ("remember
  me"), its named submit button (phpBB needs ``login``), the text field before the
  password field for the username. ``login_fields`` (a table of field names and
  values) adds or replaces fields for a form this reading gets wrong. The form is
  posted to its own action, which must be on the source's origin.

Cookies the board sets (on the login page, the login answer, the redirects that
answer may go through, and every page this source fetches) are kept in memory
for the source and sent to its origin only (``urls.may_carry_credentials``:
scheme, host and port, or the https upgrade of an http source); they are never
stored, logged or written.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from lxml.html import HtmlElement

from seedwatch.contracts import PollContext
from seedwatch.errors import ConfigError, ParseError, UserError
from seedwatch.models import Document, Source
from seedwatch.plugins.builtin.forums.base import is_login_wall
from seedwatch.plugins.builtin.forums.common import find, first, load
from seedwatch.urls import may_carry_credentials

log = logging.getLogger(__name__)

CREDENTIALS = frozenset({"cookie", "username", "password"})
# Set-Cookie headers joined with ", " (how the fetcher keeps repeated headers): a
# comma starts a new cookie only where "name=" follows, not inside an Expires date.
_COOKIE_SPLIT = re.compile(r",\s*(?=[^;,=\s]+=)")
_NOT_SENT = frozenset({"submit", "button", "image", "reset", "file"})
_TEXT_TYPES = frozenset({"", "text", "email"})


@dataclass(frozen=True, slots=True)
class LoginForm:
    """A login form as read from a page: where it posts and what it sends."""

    action: str
    fields: dict[str, str]
    username_field: str | None
    password_field: str


def login_form(document: Document) -> LoginForm | None:
    """The page's login form: the first form with a password field."""
    try:
        page = load(document)
    except ParseError:
        return None
    for form in find(page.root, "//form[.//input[@type='password']]"):
        return _read_form(form, document.url)
    return None


def _read_form(form: HtmlElement, url: str) -> LoginForm:
    fields: dict[str, str] = {}
    before: list[str] = []  # text fields before the password field
    password = ""
    submit_taken = False
    for el in find(
        form, ".//input[@name] | .//select[@name] | .//textarea[@name] | .//button[@name]"
    ):
        name = el.get("name", "")
        kind = (el.get("type") or "").lower()
        if el.tag == "select":
            chosen = first(el, ".//option[@selected]")
            if chosen is None:
                chosen = first(el, ".//option")
            fields[name] = chosen.get("value", chosen.text_content()) if chosen is not None else ""
        elif el.tag == "textarea":
            fields[name] = el.text or ""
        elif kind == "password":
            password = password or name
        elif el.tag == "button" or kind in _NOT_SENT:
            # A browser sends the button that was clicked: the first one.
            if not submit_taken and kind not in ("reset", "file", "image"):
                fields[name] = el.get("value", "")
                submit_taken = True
        elif kind in ("checkbox", "radio"):
            if el.get("checked") is not None:
                fields[name] = el.get("value", "on")
        else:
            if kind in _TEXT_TYPES and not password:
                before.append(name)
            fields[name] = el.get("value", "")
    # The username goes in the last text field before the password field.
    username = before[-1] if before else None
    if username is not None:
        del fields[username]
    return LoginForm(
        action=urljoin(url, form.get("action") or url),
        fields=fields,
        username_field=username,
        password_field=password,
    )


def set_cookies(header: str) -> Iterator[tuple[str, str | None]]:
    """(name, value) of each cookie in a Set-Cookie header; value ``None`` for a
    cookie the server deletes (expired, ``Max-Age=0``)."""
    now = datetime.now(UTC)
    for part in _COOKIE_SPLIT.split(header):
        pair, *attributes = part.split(";")
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            continue
        gone = False
        for attribute in attributes:
            key, _, arg = attribute.strip().partition("=")
            key = key.lower()
            if key == "max-age" and arg.strip().lstrip("-").isdigit():
                gone = gone or int(arg) <= 0
            elif key == "expires":
                try:
                    when = parsedate_to_datetime(arg.strip())
                except (TypeError, ValueError):
                    continue
                gone = gone or (when.tzinfo is not None and when <= now)
        yield name, None if gone else value.strip().strip('"')


def parse_cookie_header(value: str) -> dict[str, str]:
    """``a=1; b=2`` as a mapping."""
    cookies = {}
    for pair in value.split(";"):
        name, sep, content = pair.partition("=")
        if sep and name.strip():
            cookies[name.strip()] = content.strip()
    return cookies


def check_credentials(source: Source) -> None:
    """``ConfigError`` for credentials or login options a forum source cannot use."""
    where = f'source "{source.id}" (kind "forum")'
    unknown = sorted(set(source.credentials) - CREDENTIALS)
    if unknown:
        raise ConfigError(
            f"{where}: credentials {', '.join(map(repr, unknown))} mean nothing to a forum"
            ' source; expected "cookie" (a Cookie header), or "username" and "password"'
        )
    if ("username" in source.credentials) != ("password" in source.credentials):
        raise ConfigError(
            f'{where}: credentials: "username" and "password" go together (the login form'
            " needs both)"
        )
    login_url = source.options.get("login_url")
    if login_url is not None and not (isinstance(login_url, str) and login_url.strip()):
        raise ConfigError(f'{where}: field "login_url": expected the URL of the login page')
    if login_url is not None and "username" not in source.credentials:
        raise ConfigError(
            f'{where}: field "login_url" is set but credentials name no "username" and'
            ' "password" to log in with'
        )
    fields = source.options.get("login_fields")
    if fields is not None and not (
        isinstance(fields, Mapping)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
    ):
        raise ConfigError(
            f'{where}: field "login_fields": expected a table of form field names and'
            f" string values, got {fields!r}"
        )


class Session:
    """The cookies of one source, in memory: those from ``credentials.cookie``, then
    those the board set (which win)."""

    def __init__(self, source: Source) -> None:
        self._lock = threading.Lock()
        self._cookies: dict[str, str] = {}
        self.logged_in = False
        self._given = parse_cookie_header(source.credentials.get("cookie", ""))

    @staticmethod
    def can_login(source: Source) -> bool:
        return "username" in source.credentials and "password" in source.credentials

    def headers(self, source: Source, url: str) -> dict[str, str]:
        """The Cookie header for a request to ``url``: the board's own origin only."""
        if not source.url or not may_carry_credentials(url, source.url):
            return {}
        with self._lock:
            jar = {**self._given, **self._cookies}
        if not jar:
            return {}
        return {"Cookie": "; ".join(f"{name}={value}" for name, value in jar.items())}

    def absorb(self, source: Source, document: Document) -> None:
        """Keep the cookies ``document``'s answer set (from the board's origin only)."""
        header = document.headers.get("set-cookie")
        if not header or not source.url or not may_carry_credentials(document.url, source.url):
            return
        with self._lock:
            for name, value in set_cookies(header):
                if value is None:
                    self._cookies.pop(name, None)
                else:
                    self._cookies[name] = value

    def login(self, source: Source, context: PollContext, wall: Document | None) -> None:
        """Log in through the board's form (``login_url``'s, else ``wall``'s).

        Raises ``UserError`` when there is no form to fill or the board answers the
        login with its login form again; never says the values it sent."""
        where = f"source {source.id}"
        login_url = source.options.get("login_url")
        if login_url:
            target = urljoin(source.url or "", str(login_url).strip())
            page = context.fetcher.fetch(
                target, source=source, local_ok=False, headers=self.headers(source, target) or None
            )
            if page is None:
                raise UserError(f"{where}: {target}: the login page answered 304 Not Modified")
            self.absorb(source, page)
        elif wall is not None:
            page = wall
        else:
            raise UserError(f"{where}: no login page to log in at: set login_url")
        form = login_form(page)
        if form is None or not form.password_field:
            raise UserError(
                f"{where}: {page.url} holds no login form (no form with a password field);"
                " set login_url to the board's login page"
            )
        if not may_carry_credentials(form.action, source.url or page.url):
            raise UserError(
                f"{where}: the login form of {page.url} posts to {form.action}, another origin"
                f" than the source's {source.url or page.url}; seedwatch sends credentials to"
                " the source's own origin (scheme, host and port) only"
            )
        fields = dict(form.fields)
        if form.username_field:
            fields[form.username_field] = source.credentials["username"]
        fields[form.password_field] = source.credentials["password"]
        fields.update(source.options.get("login_fields") or {})
        answer = context.fetcher.fetch(
            form.action,
            source=source,
            method="POST",
            data=fields,
            local_ok=False,
            headers={**self.headers(source, form.action), "Referer": page.url},
        )
        if answer is None:
            raise UserError(f"{where}: {form.action}: the login answered 304 Not Modified")
        self.absorb(source, answer)
        if _is_wall(answer):
            raise UserError(
                f"{where}: logging in at {form.action} failed: the board answered with its"
                " login form again; check the username and password in the source's"
                " credentials (and login_fields, if the form needs more)"
            )
        self.logged_in = True
        log.info("source %s: logged in at %s", source.id, form.action)


def _is_wall(document: Document) -> bool:
    try:
        return is_login_wall(load(document))
    except ParseError:
        return False
