"""Sending one message to one channel, with retries.

A try fails *transiently* (tried again after backoff_seconds, then twice that, …, `retries` more
times) on a timeout or a broken connection, HTTP 408, 429 or 5xx, an SMTP 4xx reply, or a robot's
errcode other than 0 (企业微信 45009 and 钉钉 130101 are its rate limits, -1 "busy"); and
*permanently* (not tried again) on any other HTTP 4xx, an SMTP 5xx reply (a refused sign-in or
recipient), or a robot errcode that says the address or its signature is wrong (PERMANENT_ERRCODES).
What is kept of an error is its status or errcode and a short reason, never the URL (it holds the
robot's key) or the message.

钉钉's signature (加签): timestamp (ms) + "\\n" + secret → HMAC-SHA256 with the secret → base64 →
URL-encoded, appended to the webhook address as `&timestamp=…&sign=…`."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import quote_plus

# 企业微信 93000: invalid webhook key; 钉钉 310000: signature, keyword or IP refused, 300001/300005:
# bad token, 400101/400102: robot not found / stopped
PERMANENT_ERRCODES = {93000, 310000, 300001, 300005, 400101, 400102}
TRANSIENT_STATUS = {408, 429}
ANSWER_BYTES = 65536
ATTACH_MAX_MB = 5.0
SMTP_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class Transient(Exception):
    """Worth trying again."""


class Permanent(Exception):
    """Trying again would fail the same way."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    attempts: int
    detail: str


def with_retries(send: Callable[[], str], retries: int, backoff: float,
                 sleep: Callable[[float], None] = time.sleep) -> Outcome:
    """Call `send` until it succeeds, fails permanently or has failed retries + 1 times."""
    detail = ""
    for attempt in range(1, retries + 2):
        try:
            return Outcome(True, attempt, send())
        except Permanent as exc:
            return Outcome(False, attempt, f"permanent: {exc}")
        except Transient as exc:
            detail = f"transient: {exc}"
            if attempt <= retries:
                sleep(backoff * 2 ** (attempt - 1))
    return Outcome(False, retries + 1, detail)


def dingtalk_url(url: str, secret: str, now_ms: int | None = None) -> str:
    """The webhook address with 钉钉's timestamp and signature appended."""
    stamp = str(int(time.time() * 1000) if now_ms is None else now_ms)
    digest = hmac.new(secret.encode("utf-8"), f"{stamp}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={quote_plus(base64.b64encode(digest))}"


def post_json(url: str, payload: dict, timeout: float, robot: bool) -> str:
    """POST the payload as JSON; for a robot (企业微信, 钉钉) the answer's errcode must be 0."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, answer = response.status, response.read(ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code in TRANSIENT_STATUS:
            raise Transient(f"HTTP {exc.code}") from None
        raise Permanent(f"HTTP {exc.code}") from None
    except OSError as exc:                 # URLError, timeouts, refused and reset connections
        reason = getattr(exc, "reason", exc)
        raise Transient(f"{type(reason).__name__}") from None
    if not robot:
        return f"HTTP {status}"
    try:
        code = int(json.loads(answer.decode("utf-8")).get("errcode", -1))
    except (ValueError, AttributeError, TypeError):
        raise Transient(f"HTTP {status}, answer without errcode") from None
    if code == 0:
        return f"HTTP {status}, errcode 0"
    if code in PERMANENT_ERRCODES:
        raise Permanent(f"errcode {code}")
    raise Transient(f"errcode {code}")


def send_mail(options: dict, subject: str, body: str, attachment: Path | None, timeout: float) -> str:
    """One message over SMTP (STARTTLS, implicit TLS or plain, as `security` says); a briefing's
    PDF attached when no larger than attach_max_mb. Returns what the server said."""
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, options["sender"], ", ".join(options["to"])
    message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid(domain="cockpit.local")
    limit = float(options.get("attach_max_mb", ATTACH_MAX_MB)) * 1024 * 1024
    attached = attachment is not None and attachment.exists() and attachment.stat().st_size <= limit
    message.set_content(body + ("\n\n附件：" + attachment.name if attached else ""))
    if attached:
        message.add_attachment(attachment.read_bytes(), maintype="application", subtype="pdf",
                               filename=attachment.name)
    security = options.get("security", "starttls")
    port = int(options.get("port", SMTP_PORTS[security]))
    try:
        client = (smtplib.SMTP_SSL(options["host"], port, timeout=timeout, context=ssl.create_default_context())
                  if security == "ssl" else smtplib.SMTP(options["host"], port, timeout=timeout))
        with client:
            if security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if options.get("user"):
                client.login(options["user"], options.get("password", ""))
            refused = client.send_message(message)
    except smtplib.SMTPRecipientsRefused:
        raise Permanent("SMTP recipients refused") from None
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise Transient(f"SMTP {exc.smtp_code}") from None
        raise Permanent(f"SMTP {exc.smtp_code}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise Transient(type(exc).__name__) from None
    return f"SMTP 250{', ' + str(len(refused)) + ' refused' if refused else ''}{', attached' if attached else ''}"
