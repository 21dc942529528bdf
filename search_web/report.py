"""Patients' "Report a problem" form: field rules, a signed double-submit CSRF token, a per-IP limit.

The thinking (validation, tokens, the sliding window) is pure and testable here; routes/public.py
does the I/O, and reports land in the store (`Store.add_report`) for the admins' queue.
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from index.store import Store

# The report kinds the admins triage, in the order the form lists them.
REPORT_KINDS: dict[str, str] = {
    "not_offered": "They don’t offer microneedling",
    "wrong_contact": "Wrong address or phone number",
    "closed_moved": "The practice has closed or moved",
    "not_this_person": "This is not the person described",
    "other": "Something else",
}
MESSAGE_MAX = 2000
CONTACT_MAX = 254
TOKEN_MAX_AGE_SECONDS = 2 * 60 * 60  # a form left open over lunch still works
CSRF_COOKIE = "skinmap_report"
CSRF_FIELD = "csrf_token"
RATE_LIMIT = 5  # reports per IP ...
RATE_WINDOW_SECONDS = 10 * 60  # ... per ten minutes

# Deliberately loose: one @, something on each side, a dot in the domain. Admins write back by hand.
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[^@\s<>\"']+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class ReportForm:
    """What the patient sent, cleaned; shown back to them when something needs fixing."""

    kind: str = ""
    message: str = ""
    contact: str = ""


def clean_report(fields: Mapping[str, str]) -> tuple[ReportForm, dict[str, str]]:
    """The form values and the problems with them (field name -> a sentence to show)."""
    kind = str(fields.get("kind") or "").strip()
    # Keep line breaks in the message; drop other control characters.
    message = _CONTROL.sub("", str(fields.get("message") or "")).replace("\r\n", "\n").strip()
    contact = str(fields.get("contact") or "").strip()
    form = ReportForm(kind=kind, message=message, contact=contact)
    errors: dict[str, str] = {}
    if kind not in REPORT_KINDS:
        errors["kind"] = "Choose what is wrong from the list."
    if len(message) > MESSAGE_MAX:
        errors["message"] = (
            f"Please keep the message under {MESSAGE_MAX} characters (it has {len(message)})."
        )
    elif kind == "other" and not message:
        errors["message"] = "Tell us what is wrong, in a few words."
    if contact and (len(contact) > CONTACT_MAX or not _EMAIL.match(contact)):
        errors["contact"] = "That does not look like an email address; leave it empty if you like."
    return form, errors


class CsrfTokens:
    """Signed double-submit tokens: the cookie holds a random nonce, the form its signed copy.

    A cross-site page can make the browser send our cookie but can neither read it nor forge the
    signature, so it cannot produce a matching form field.
    """

    def __init__(self, secret_key: str, max_age: int = TOKEN_MAX_AGE_SECONDS) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="skinmap.report")
        self.max_age = max_age

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(24)

    def token_for(self, nonce: str) -> str:
        return self._serializer.dumps(nonce)

    def valid(self, token: str | None, nonce: str | None) -> bool:
        if not token or not nonce or len(token) > 512:
            return False
        try:
            signed = self._serializer.loads(token, max_age=self.max_age)
        except BadSignature:  # SignatureExpired is a subclass
            return False
        return isinstance(signed, str) and hmac.compare_digest(signed, nonce)


@dataclass
class RateLimiter:
    """At most `limit` events per key in any `window` seconds (a sliding log per key)."""

    limit: int = RATE_LIMIT
    window: float = RATE_WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    _events: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, key: str) -> bool:
        """Count one event for `key`; False (and not counted) when the key is over its limit."""
        now = self.clock()
        with self._lock:
            self._forget_before(now - self.window)
            events = self._events.setdefault(key, deque())
            if len(events) >= self.limit:
                return False
            events.append(now)
            return True

    def _forget_before(self, cutoff: float) -> None:
        # Prune every key, so a stream of one-off addresses cannot grow the table without bound.
        for key in list(self._events):
            events = self._events[key]
            while events and events[0] <= cutoff:
                events.popleft()
            if not events:
                del self._events[key]


@dataclass
class ReportDesk:
    """Everything the report routes share: tokens, the limiter, and where reports are stored."""

    store_path: Path
    tokens: CsrfTokens
    limiter: RateLimiter = field(default_factory=RateLimiter)

    def file(self, listing_id: str, form: ReportForm) -> int:
        """Store the report for the admins; returns its id. Blocking: call from a thread."""
        store = Store(self.store_path)
        try:
            return store.add_report(listing_id, form.kind, form.message, form.contact or None)
        finally:
            store.close()
