"""Who may call what in the JSON API: every route × the seven kinds of caller.

Like tests/test_authorization_matrix.py for the pages: a route of the `api` blueprint
missing from EXPECTED fails the test, so none ships without deciding who may call it.
Every caller sends a real token (the pending agent's is minted directly: the guard must
refuse it even though /auth/token would never have issued it).

Outcomes: OK = past authorization (2xx, or 409/422 for the sample data); 401; 403; 404.
"""
import pytest
from api_support import ApiClient, access_token
from conftest import PASSWORD, PNG_BYTES, make_ticket, make_user, upload

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, Attachment, Role
from helpdesk.services.tickets import assignment, conversation

OK = "ok"
PERSONAS = ("anonymous", "owner", "other_customer", "pending_agent", "assignee",
            "other_agent", "admin")


def row(anonymous, owner, other_customer, pending_agent, assignee, other_agent, admin):
    return dict(zip(PERSONAS, (anonymous, owner, other_customer, pending_agent, assignee,
                               other_agent, admin), strict=True))


SIGNED_IN = row(401, OK, OK, 403, OK, OK, OK)
VISIBLE_TICKET = row(401, OK, 404, 403, OK, OK, OK)
STAFF_TICKET = row(401, 404, 404, 403, OK, OK, OK)   # customers may not probe numbers
STAFF = row(401, 403, 403, 403, OK, OK, OK)
ADMINS = row(401, 403, 403, 403, 403, 403, OK)
ASSIGNEE_WORK = row(401, 403, 404, 403, OK, 403, OK)
AUTHOR_OR_ADMIN = row(401, 403, 404, 403, OK, 403, OK)  # the assignee wrote the message

# (endpoint, method): (expected, JSON body or "upload")
EXPECTED = {
    ("api.token", "POST"): (row(401, OK, OK, 403, OK, OK, OK), "credentials"),
    ("api.refresh", "POST"): (row(401, OK, OK, 401, OK, OK, OK), "refresh"),
    ("api.me", "GET"): (SIGNED_IN, None),
    ("api.Tickets", "GET"): (SIGNED_IN, None),
    ("api.Tickets", "POST"): (SIGNED_IN, {"subject": "Matrix", "description": "Matrix"}),
    ("api.Ticket", "GET"): (VISIBLE_TICKET, None),
    ("api.Ticket", "PATCH"): (ASSIGNEE_WORK, {"priority": "high"}),
    ("api.Ticket", "DELETE"): (row(401, 403, 404, 403, 403, 403, OK), None),
    ("api.change_status", "POST"): (row(401, OK, 404, 403, OK, 403, OK),
                                    {"status": "closed"}),
    ("api.take", "POST"): (STAFF_TICKET, None),
    ("api.assign", "POST"): (row(401, 404, 404, 403, 403, 403, OK), "assignee"),
    ("api.escalate", "POST"): (STAFF_TICKET, {"reason": "Matrix"}),
    ("api.history", "GET"): (STAFF_TICKET, None),
    # issue 15 (agents-flow): merge (the target does not exist: 422 past authorization)
    ("api.merge", "POST"): (STAFF_TICKET, {"target": "TKT-999999"}),
    ("api.related", "GET"): (STAFF_TICKET, None),
    ("api.link", "POST"): (STAFF_TICKET, {"related": "TKT-999999"}),
    ("api.unlink", "DELETE"): (STAFF_TICKET, None),
    ("api.rate", "POST"): (row(401, OK, 404, 403, 403, 403, 403), {"rating": 5}),
    ("api.TicketMessages", "GET"): (VISIBLE_TICKET, None),
    ("api.TicketMessages", "POST"): (row(401, OK, 404, 403, OK, 403, OK), {"body": "Hi"}),
    ("api.MessageResource", "PATCH"): (AUTHOR_OR_ADMIN, {"body": "Edited"}),
    ("api.MessageResource", "DELETE"): (AUTHOR_OR_ADMIN, None),
    ("api.upload", "POST"): (row(401, OK, 404, 403, OK, 403, OK), "upload"),
    ("api.attachment", "GET"): (VISIBLE_TICKET, None),
    ("api.categories", "GET"): (SIGNED_IN, None),
    ("api.faq", "GET"): (row(OK, OK, OK, OK, OK, OK, OK), None),
    ("api.stats", "GET"): (STAFF, None),
    ("api.agents", "GET"): (ADMINS, None),
    ("api.approve_agent", "POST"): (ADMINS, None),
    ("api.reject_agent", "POST"): (ADMINS, None),
}


def api_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def test_every_api_route_is_in_the_matrix(app):
    found = {(rule.endpoint, method) for rule, method in api_routes(app)}
    assert found == set(EXPECTED)


def test_every_api_view_declares_who_may_call_it(app):
    """The guard refuses views without a declaration (fail closed); none is missing."""
    for rule, method in api_routes(app):
        view = app.view_functions[rule.endpoint]
        view = getattr(getattr(view, "view_class", None), method.lower(), view)
        assert getattr(view, "api_access", None) is not None, (rule.endpoint, method)


def _world():
    people = {
        "owner": make_user(Role.CUSTOMER, name="Owner"),
        "other_customer": make_user(Role.CUSTOMER, name="Other"),
        "pending_agent": make_user(Role.AGENT, agent_status=AgentStatus.PENDING),
        "assignee": make_user(Role.AGENT, name="Assignee"),
        "other_agent": make_user(Role.AGENT, name="Other agent"),
        "admin": make_user(Role.ADMIN, name="Admin"),
    }
    stream, name = upload("photo.png", PNG_BYTES)
    from werkzeug.datastructures import FileStorage
    ticket = make_ticket(people["owner"], files=[FileStorage(stream, filename=name)])
    assignment.take_ticket(ticket, people["assignee"])
    return people, ticket


def _path(rule, people, ticket) -> str:
    values = {}
    for arg in rule.arguments:
        if arg == "number":
            values[arg] = ticket.number
        elif arg == "related_number":  # not linked: a 204 that changes nothing
            values[arg] = ticket.number
        elif arg == "message_id":  # a fresh public reply of the assignee per visitor
            values[arg] = conversation.post_reply(ticket, people["assignee"], "Reply").id
        elif arg == "attachment_id":
            values[arg] = db.session.scalar(db.select(Attachment.id).where(
                Attachment.message_id.is_(None)))
        elif arg == "user_id":
            values[arg] = people["pending_agent"].id
        else:
            raise AssertionError(f"no sample value for <{arg}> in {rule.rule}")
    return rule.build(values, append_unknown=False)[1]


def _outcome(response):
    if response.status_code in (401, 403, 404):
        return response.status_code
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.status_code in (200, 201, 204, 409, 422), (
        response.status_code, response.get_data(as_text=True))
    return OK


def _request(api, method, path, persona, people, body):
    user = people.get(persona)
    token = access_token(user) if user is not None else None
    if body == "credentials":
        email = user.email if user else "nobody@example.com"
        return api.call(method, path, json={"email": email, "password": PASSWORD})
    if body == "refresh":
        refresh = "hdr_not-a-token"
        if user is not None and persona != "pending_agent":
            refresh = api.post("/auth/token", json={
                "email": user.email, "password": PASSWORD}).get_json()["refresh_token"]
        return api.call(method, path, json={"refresh_token": refresh})
    if body == "upload":
        return api.upload(path, [("more.png", PNG_BYTES)], as_=token)
    if body == "assignee":
        body = {"assignee": people["assignee"].id}
    return api.call(method, path, as_=token, json=body)


@pytest.mark.parametrize("endpoint_method", sorted(EXPECTED), ids="{0[0]}:{0[1]}".format)
def test_api_authorization_matrix(app, endpoint_method):
    endpoint, method = endpoint_method
    expected, body = EXPECTED[endpoint_method]
    [rule] = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint]
    people, ticket = _world()
    api = ApiClient(app)
    for persona in PERSONAS:  # admin last: its deletions must not hide rows from others
        path = _path(rule, people, ticket)
        response = _request(api, method, path, persona, people, body)
        response.get_data()  # drain file bodies and close them
        response.close()
        got = _outcome(response)
        assert got == expected[persona], (
            f"{method} {path} as {persona}: expected {expected[persona]}, got {got} "
            f"({response.status_code} {response.get_data(as_text=True)[:300]})")
        if got != OK:
            assert response.mimetype == "application/problem+json"
        db.session.expire_all()
