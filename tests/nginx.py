"""Debian's nginx with the install kit's site file (deploy/nginx/cockpit.conf) in front of cockpit
processes, as a centre runs it, but as this run's own process: its own prefix, pid and logs, free
ports, a self-signed certificate made here. For tests/browser/test_behind_nginx.py and
bench/servers.py (two servers behind it)."""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from tests.cockpit_process import free_port

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "cockpit.conf"


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made here (cryptography is a requirement)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    crt, pem = folder / "cockpit.crt", folder / "cockpit.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    pem.chmod(0o600)
    return crt, pem


def site_for_test(app_ports: list[int], http_port: int, https_port: int, crt: Path, key: Path) -> str:
    """The kit's site file with this run's ports and certificate: each line the kit asks a centre
    to edit is replaced, and must be there exactly once (a changed kit fails here); the upstream
    gets a `server` line per cockpit process, as docs/operations.md adds a second server."""
    text = SITE.read_text(encoding="utf-8")
    upstreams = "\n    ".join(f"server 127.0.0.1:{port};" for port in app_ports)
    for old, new in (("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                     ("ssl_certificate /etc/cockpit/tls/cockpit.crt;", f"ssl_certificate {crt};"),
                     ("ssl_certificate_key /etc/cockpit/tls/cockpit.key;", f"ssl_certificate_key {key};"),
                     ("server 127.0.0.1:8050;", upstreams)):
        assert text.count(old) == 1, f"the kit's site file no longer has {old!r}"
        text = text.replace(old, new)
    return text


def _wait_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("nginx stopped:\n" + (log.read_text() if log.exists() else ""))
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("nginx did not listen:\n" + (log.read_text() if log.exists() else ""))


@contextmanager
def nginx_in_front(app_ports: list[int], home: Path, worker_connections: int = 256):
    """Yields (https base URL, http base URL) of nginx in front of the cockpits on `app_ports`;
    its files (certificate cockpit.crt, logs) in `home`."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        raise RuntimeError("Debian's nginx is not installed: run the README's test command (make test)")
    http_port, https_port = free_port(), free_port()
    crt, key = certificate(home)
    (home / "site.conf").write_text(site_for_test(app_ports, http_port, https_port, crt, key), encoding="utf-8")
    temp = home / "temp"
    temp.mkdir(exist_ok=True)
    (home / "nginx.conf").write_text(f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections {worker_connections}; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {home}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {home}/site.conf;
}}
""", encoding="utf-8")
    checked = subprocess.run([nginx, "-t", "-p", str(home), "-e", str(home / "error.log"),
                              "-c", str(home / "nginx.conf")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([nginx, "-p", str(home), "-e", str(home / "error.log"), "-c",
                             str(home / "nginx.conf"), "-g", "daemon off;"])
    try:
        _wait_port(https_port, proc, home / "error.log")
        yield f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}"
    finally:
        proc.terminate()
        proc.wait(10)
