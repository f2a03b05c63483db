"""HTML to PDF and PNG with Debian's headless Chromium (the browser the tests already drive), as
a subprocess: no Python dependency beyond the standard library, no network.

The page is a file in a private temporary folder; Chromium runs with a throw-away profile,
its background networking off, every request sent to a proxy that is not there and every host
name unresolvable, and the page's own policy (cockpit/briefing/page.py) allows no request and
no script, so nothing leaves the machine even if the HTML named something. Output files are
written beside their target and renamed into place: a briefing that failed half-way never
replaces or looks like a complete one."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

A4_CSS_PX = (794, 1123)          # 210 × 297 mm at 96 px per inch
PNG_SCALE = 2                    # device pixels per CSS pixel: sharp on a phone, under 2 MB
TIMEOUT = 120
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
         "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--no-pdf-header-footer"]


class RenderError(RuntimeError):
    pass


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        raise RenderError("找不到 chromium（Debian: apt-get install chromium; make system-deps）")
    return exe


def render(html: str, pdf: Path, png: Path, pages: int) -> None:
    """Write `html` as a PDF of A4 pages and a PNG of all `pages` pages one under the other."""
    with tempfile.TemporaryDirectory(prefix="briefing-") as tmp:
        tmp = Path(tmp)
        page = tmp / "briefing.html"
        page.write_text(html, encoding="utf-8")
        url = page.as_uri()
        _run([f"--print-to-pdf={tmp / 'out.pdf'}", url], tmp)
        width, height = A4_CSS_PX
        _run([f"--screenshot={tmp / 'out.png'}", f"--window-size={width},{height * pages}",
              f"--force-device-scale-factor={PNG_SCALE}", url], tmp)
        for made, target in ((tmp / "out.pdf", Path(pdf)), (tmp / "out.png", Path(png))):
            if not made.is_file() or made.stat().st_size == 0:
                raise RenderError(f"chromium 未生成 {made.name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.partial")
            shutil.copyfile(made, partial)
            os.replace(partial, target)


def _run(args: list[str], tmp: Path) -> None:
    profile = tempfile.mkdtemp(prefix="profile-", dir=tmp)
    try:
        done = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args], cwd=tmp,
                              capture_output=True, timeout=TIMEOUT,
                              env={**os.environ, "HOME": str(tmp)})
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"chromium 超时（{TIMEOUT} 秒）") from exc
    if done.returncode != 0:
        raise RenderError(f"chromium 退出码 {done.returncode}: {done.stderr.decode(errors='replace')[-500:]}")
