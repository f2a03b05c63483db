"""Behind a reverse proxy: who the client is, and the sub-path the cockpit is served under.

Both are WSGI middleware around the whole app, so everything behind them (the sign-in throttle,
the audit log, the access log, the monitoring allow-list) sees one answer.

`ClientAddress`: every request through a proxy comes from the proxy's address. The client's
address is taken from X-Forwarded-For only when the peer is a trusted proxy, and then it is the
rightmost address that is not itself a trusted proxy: each proxy appends the address it saw, so
everything left of that was written by the client and may be forged. From any other peer the
header is dropped, not believed.

`UnderPrefix`: served as https://host/cockpit/, a request for /cockpit/map reaches the app as
/map with SCRIPT_NAME /cockpit, which Flask puts in front of every URL it builds (url_for,
request.script_root). Dash is told the same prefix (cockpit/app.py) for its own URLs."""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks ("10.0.0.5", "10.0.0.0/24", "::1"); a mistyped one is an error at
    start, never a silently empty list."""
    out = []
    for entry in entries:
        try:
            out.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"不是有效的地址或网段: {entry!r}") from None
    return tuple(out)


def address(text: str):
    """An IP address from a header hop ("1.2.3.4", "1.2.3.4:5678", "[::1]:80"), or None."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        found = ipaddress.ip_address(text)
    except ValueError:
        return None
    return found.ipv4_mapped or found if isinstance(found, ipaddress.IPv6Address) else found


def within(addr, nets: tuple[Network, ...]) -> bool:
    return addr is not None and any(addr.version == n.version and addr in n for n in nets)


def client_address(peer: str, forwarded: str, trusted: tuple[Network, ...]) -> str:
    """The client's address, given the TCP peer and its X-Forwarded-For (see the module doc)."""
    here = address(peer)
    if not within(here, trusted):
        return peer
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        found = address(hop)
        if found is None:             # garbage where a proxy writes an address: stop at the
            break                     # last proxy we trust rather than believe it
        here = found
        if not within(found, trusted):
            break
    return str(here)


class ClientAddress:
    def __init__(self, app, trusted: tuple[Network, ...]):
        self.app, self.trusted = app, trusted

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        from_proxy = within(address(peer), self.trusted)
        if from_proxy:
            environ["REMOTE_ADDR"] = client_address(peer, environ.get("HTTP_X_FORWARDED_FOR", ""),
                                                    self.trusted)
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").rpartition(",")[2].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        for header in [k for k in environ if k.startswith("HTTP_X_FORWARDED_")]:
            if not from_proxy:
                del environ[header]     # nothing behind this may read what a client wrote there
        return self.app(environ, start_response)


class UnderPrefix:
    def __init__(self, app, prefix: str):
        self.app, self.prefix = app, prefix          # normalised: "/cockpit", never a trailing /

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == self.prefix:                      # /cockpit → /cockpit/
            query = environ.get("QUERY_STRING", "")
            start_response("308 Permanent Redirect",
                           [("Location", self.prefix + "/" + ("?" + query if query else "")),
                            ("Content-Length", "0")])
            return [b""]
        if not path.startswith(self.prefix + "/"):
            body = "不在本系统的路径下 (not under this cockpit's path)".encode()
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8"),
                                             ("Content-Length", str(len(body)))])
            return [body]
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
        environ["PATH_INFO"] = path[len(self.prefix):]
        return self.app(environ, start_response)
