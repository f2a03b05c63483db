"""GET /briefings/file/<area_code>/<name>: one briefing's PDF or PNG, for a signed-in account that
may open the 简报 page, of its own area or an area inside it (decided here, on the server, from
the session's account: cockpit/briefing/archive.py turns the request into a path or refuses it).
Every download is audited; a malformed request is refused with 400, another area with 403 (both
audited by the gate's refusal hook), a briefing that does not exist answers 404."""
from __future__ import annotations

from flask import Response, abort, current_app, g, send_file

from cockpit.auth import audit
from cockpit.briefing import archive

PAGE = "/briefings"
MIMETYPES = {"pdf": "application/pdf", "png": "image/png"}


def install(app, settings) -> None:
    app.server.config["COCKPIT_BRIEFINGS"] = settings.briefings
    app.server.add_url_rule("/briefings/file/<area_code>/<name>", "briefing_file", download)


def url(area_code: str, name: str) -> str:
    """The download's path below the URL prefix."""
    return f"/briefings/file/{area_code}/{name}"


def download(area_code: str, name: str):
    account = g.get("account")
    if not account.may_open(PAGE) or account.area_code is None:     # the gate let no one in without one
        audit("denied", f"{area_code}/{name}", "简报下载")
        return Response("无权下载简报", status=403, mimetype="text/plain")
    try:
        path = archive.locate(current_app.config["COCKPIT_BRIEFINGS"], account.area_code, area_code, name)
    except archive.NotABriefing:
        return Response("无效的简报文件名", status=400, mimetype="text/plain")
    except PermissionError:
        audit("denied", f"{area_code}/{name}", "简报不在本辖区")
        return Response("该简报不在本辖区", status=403, mimetype="text/plain")
    except FileNotFoundError:
        abort(404)
    audit("briefing_download", f"{area_code}/{name}")
    return send_file(path, mimetype=MIMETYPES[archive.parse(name)[2]], as_attachment=True, download_name=name,
                     max_age=0, conditional=False, etag=False)
