"""Real local receivers for the push tests: an HTTP server standing in for 企业微信's and 钉钉's group
robots and a generic webhook, and an SMTP server. Both listen on 127.0.0.1 in a thread and keep
what they were sent, exactly as it came over the socket."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    path: str
    query: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class HttpReceiver:
    """Answers each POST with the next of `answers` ((status, json)) and, when they run out, with
    200 {"errcode": 0}. `secret`: check 钉钉's signature and answer errcode 310000 when wrong."""
    answers: list = field(default_factory=list)
    secret: str | None = None
    received: list[Received] = field(default_factory=list)
    bad_signatures: int = 0

    def __enter__(self) -> "HttpReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                parts = urlsplit(self.path)
                got = Received(parts.path, parse_qs(parts.query), self.rfile.read(length))
                receiver.received.append(got)
                status, answer = receiver.answers.pop(0) if receiver.answers else (200, {"errcode": 0, "errmsg": "ok"})
                if receiver.secret is not None and not receiver.signed(got):
                    receiver.bad_signatures += 1
                    status, answer = 200, {"errcode": 310000, "errmsg": "sign not match"}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/cgi-bin/webhook/send?key=test-key") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def signed(self, got: Received) -> bool:
        """钉钉's check: sign = base64(HMAC-SHA256(secret, timestamp + "\\n" + secret))."""
        stamp, sign = got.query.get("timestamp", [""])[0], got.query.get("sign", [""])[0]
        want = base64.b64encode(hmac.new(self.secret.encode(), f"{stamp}\n{self.secret}".encode(),
                                         hashlib.sha256).digest()).decode()
        return bool(stamp) and hmac.compare_digest(sign, want)


@dataclass
class SmtpReceiver:
    """A minimal SMTP server (EHLO/HELO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT) keeping
    each message; `refuse` = an SMTP code to answer MAIL FROM with (e.g. 451, 550)."""
    user: str | None = None
    password: str | None = None
    refuse: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    logins: list = field(default_factory=list)

    def __enter__(self) -> "SmtpReceiver":
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def say(self, line: str):
                self.wfile.write((line + "\r\n").encode())

            def handle(self):
                self.say("220 test SMTP ready")
                sender, rcpts = None, []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    verb = line.decode().strip().split(" ", 1)
                    cmd, arg = verb[0].upper(), verb[1] if len(verb) > 1 else ""
                    if cmd == "EHLO":
                        self.wfile.write(b"250-test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
                    elif cmd == "HELO":
                        self.say("250 test")
                    elif cmd == "AUTH":
                        _method, _, blob = arg.partition(" ")
                        _, user, password = base64.b64decode(blob).decode().split("\0")
                        receiver.logins.append(user)
                        ok = (user, password) == (receiver.user, receiver.password)
                        self.say("235 ok" if ok else "535 authentication failed")
                    elif cmd == "MAIL":
                        if receiver.refuse:
                            self.say(f"{receiver.refuse.pop(0)} try later")
                            continue
                        sender, rcpts = arg, []
                        self.say("250 ok")
                    elif cmd == "RCPT":
                        rcpts.append(arg)
                        self.say("250 ok")
                    elif cmd == "DATA":
                        self.say("354 go on")
                        data = b""
                        while True:
                            chunk = self.rfile.readline()
                            if chunk in (b".\r\n", b".\n", b""):
                                break
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        receiver.messages.append({"from": sender, "to": rcpts,
                                                  "message": message_from_bytes(data, policy=policy.default)})
                        self.say("250 queued")
                    elif cmd in ("RSET", "NOOP"):
                        self.say("250 ok")
                    elif cmd == "QUIT":
                        self.say("221 bye")
                        return
                    else:
                        self.say("502 not implemented")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def port(self) -> int:
        return self.server.server_address[1]
