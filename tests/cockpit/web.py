"""Requests as a browser or any script sends them to the app of `world` (tests/cockpit/conftest.py):
a test client signed in through the login form, and callback requests posted to Dash's update
endpoint."""
import re

UNMASK_PER_HOUR = 6
PASSWORD = "role-test-password"
UPDATE = "/_dash-update-component"


def client(world, account=None, password=PASSWORD):
    c = world["app"].server.test_client()
    if account:
        response = login(c, account, password)
        assert response.status_code == 302, response.get_data(as_text=True)
    return c


def login(client, account, password, next_="/"):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"account": account, "password": password, "csrf": csrf, "next": next_})


def body(world, output_id: str, values: dict, changed: str | None = None) -> dict:
    """The request a browser posts for the callback that outputs `output_id`, with `values`
    ({(id, property): value}) for its inputs and states, None for the rest, as if `changed`
    ("id.prop"; default the first input) had triggered it."""
    cmap = world["app"].callback_map
    key = next(k for k in cmap if f"{output_id}." in k)
    spec = cmap[key]
    outputs = [o for o in key.strip(".").split("...")]

    def refs(items):
        return [{"id": i["id"], "property": i["property"], "value": values.get((i["id"], i["property"]))}
                for i in items]
    return {"output": key, "outputs": [{"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
                                       for o in outputs] if key.startswith("..") else
            {"id": outputs[0].rsplit(".", 1)[0], "property": outputs[0].rsplit(".", 1)[1]},
            "inputs": refs(spec["inputs"]), "state": refs(spec["state"]),
            "changedPropIds": [changed or f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"]}


def post(client, world, output_id: str, values: dict, changed: str | None = None):
    """Post body(...) as any script could. Returns (status, {"id.prop": value})."""
    r = client.post(UPDATE, json=body(world, output_id, values, changed))
    if r.status_code != 200:
        return r.status_code, None
    out = r.get_json()["response"]
    return 200, {f"{i}.{p}": v for i, props in out.items() for p, v in props.items()}
