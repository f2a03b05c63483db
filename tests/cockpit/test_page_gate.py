"""The page gate against Dash's page renderer: Dash draws the page at the *position* of its
pathname input, with slashes stripped, whatever the entries claim. Every role posts every page's
render in every slash form and input order; it gets the page Dash would draw only when it may
open it, and the audit records the page drawn."""
import dash
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.cockpit.web import UPDATE, client

PAGES_OUTPUT = ".._pages_content.children..._pages_store.data.."


def _loc(prop, value):
    return {"id": "_pages_location", "property": prop, "value": value}


def _render(c, inputs, state=()):
    body = {"output": PAGES_OUTPUT,
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": inputs, "state": list(state), "changedPropIds": ["_pages_location.pathname"]}
    r = c.post(UPDATE, json=body)
    title = r.get_json()["response"]["_pages_store"]["data"]["title"] if r.status_code == 200 else None
    return r.status_code, title


def _slash_forms(path):
    bare = path.strip("/")
    return [f"/{bare}", f"//{bare}", f"/{bare}/", f"///{bare}//"] if bare else ["/", "//", "///"]


def _pages():
    return {p["path"]: p["title"] for p in dash.page_registry.values()}


@pytest.mark.parametrize("role", ["admin", "leader", "analyst", "street", "community", "grid", "department"])
def test_every_page_in_every_slash_form_is_drawn_only_for_who_may_open_it(world, role):
    c = client(world, role)
    account = world["app"].server.config["COCKPIT_ACCOUNTS"].get(role)
    audit = world["app"].server.config["COCKPIT_AUDIT"]
    allowed = next(p for p in _pages() if account.may_open(p))
    for path, title in _pages().items():
        tries = [(form, "") for form in _slash_forms(path)] + \
                [(path, search) for search in ("/audit", f"?pathname={allowed}", f"?pathname_={allowed}")]
        for form, search in tries:
            status, drawn = _render(c, [_loc("pathname", form), _loc("search", search)])
            if account.may_open(path):
                assert (status, drawn) == (200, title), (form, search)
            else:
                assert status == 403, (form, search, drawn)
            last = audit.recent(1, account=role).iloc[0]
            assert (last["action"], last["target"]) == (("page_view", path) if account.may_open(path)
                                                        else ("denied", path)), (form, search)
        # the pathname of an allowed page with the forbidden one anywhere else is the allowed page
        status, drawn = _render(c, [_loc("pathname", allowed), _loc("search", _slash_forms(path)[1])])
        assert (status, drawn) == (200, _pages()[allowed])


@pytest.mark.parametrize("role", ["street", "department"])
def test_entries_out_of_dash_s_order_are_refused(world, role):
    """Dash reads position 0 as the pathname: a request whose entries name other properties
    there (or carry extra entries) is not one Dash's renderer sends, and is refused."""
    c = client(world, role)
    account = world["app"].server.config["COCKPIT_ACCOUNTS"].get(role)
    allowed = next(p for p in _pages() if account.may_open(p))
    for path in _pages():
        for form in _slash_forms(path):
            for inputs, state in (
                    ([_loc("search", form), _loc("pathname", allowed)], []),        # swapped
                    ([_loc("pathname", form), _loc("pathname", allowed)], []),
                    ([_loc("search", allowed), _loc("search", form)], []),
                    ([_loc("pathname", form)], []),                                   # one short
                    ([_loc("pathname", allowed), _loc("search", ""), _loc("pathname", form)], []),
                    ([_loc("pathname", allowed), _loc("search", "")], [_loc("pathname", form)]),
                    ([{"id": "frame-url", "property": "pathname", "value": form}, _loc("search", "")], []),
                    ([_loc("pathname", [form]), _loc("search", "")], []),
                    ([_loc("pathname", {"pathname": form}), _loc("search", "")], []),
                    ([_loc("pathname", allowed), _loc("search", [form])], [])):
                assert _render(c, inputs, state) == (400, None), (inputs, state)
        # a path Dash itself cannot resolve (no leading slash): refused, not a 500
        assert _render(c, [_loc("pathname", path.strip("/") or "x"), _loc("search", "")])[0] == 400
    refused = world["app"].server.config["COCKPIT_AUDIT"].recent(1, "bad_request", role)
    assert len(refused) == 1 and refused.iloc[0]["target"] == PAGES_OUTPUT


def test_an_unknown_path_draws_dash_s_404_for_everyone(world):
    for role in ("street", "department"):
        status, title = _render(client(world, role), [_loc("pathname", "/no-such-page"), _loc("search", "")])
        assert status == 200 and title not in _pages().values()


@pytest.mark.parametrize("form", ["/audit", "/audit/", "/audit?x=1", "/audit//"])
def test_opening_a_forbidden_page_is_refused_and_audited(world, form):
    c = client(world, "street")
    r = c.get(form)
    assert r.status_code == 302 and r.headers["Location"] == "/"
    last = world["app"].server.config["COCKPIT_AUDIT"].recent(1, account="street").iloc[0]
    assert (last["action"], last["target"]) == ("denied", "/audit")


_CLIENTS = {}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(role=st.sampled_from(["street", "department", "analyst"]),
       parts=st.lists(st.sampled_from(["", "/", "//", "audit", "health", "people", "services", "explorer",
                                       "map", "?", "?x=/audit", "#", "%2F", ".", "..", "\\\\", " ", "Audit"]),
                      max_size=6),
       search=st.sampled_from(["", "?pathname=/audit", "/audit", None]))
def test_whatever_the_pathname_no_forbidden_page_is_drawn(world, role, parts, search):
    """Any pathname built from page names, slashes and punctuation: the answer is a page the role
    may open, Dash's 404, or a refusal; never a forbidden page."""
    if role not in _CLIENTS:
        _CLIENTS[role] = client(world, role)
    account = world["app"].server.config["COCKPIT_ACCOUNTS"].get(role)
    forbidden = {title for path, title in _pages().items() if not account.may_open(path)}
    status, drawn = _render(_CLIENTS[role], [_loc("pathname", "".join(parts)), _loc("search", search)])
    assert status in (200, 400, 403) and drawn not in forbidden, ("".join(parts), status, drawn)
