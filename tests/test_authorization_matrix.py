"""Who may call what: every endpoint of the app, as every kind of person.

The test walks `app.url_map`; an endpoint (with its method) that is missing from
EXPECTED fails the test, so a new route cannot ship without deciding who may use it.

Outcomes: OK = got past authorization (2xx, a redirect that is not to sign-in, or a
400/409 for the dummy form data); LOGIN = redirected to sign in; 403; 404.
"""
import pytest
from conftest import PNG_BYTES, make_ticket, make_user, upload

from helpdesk.extensions import db
from helpdesk.models import (
    AgentStatus,
    Attachment,
    Category,
    FaqEntry,
    Organization,
    Role,
    Team,
    Webhook,
    WebhookDelivery,
)
from helpdesk.services.tickets import assignment, conversation

OK, LOGIN = "ok", "login"
PERSONAS = ("anonymous", "owner", "other_customer", "pending_agent", "agent", "assignee",
            "admin")


def row(anonymous, owner, other_customer, pending_agent, agent, assignee, admin):
    return dict(zip(PERSONAS, (anonymous, owner, other_customer, pending_agent, agent,
                               assignee, admin), strict=True))


EVERYONE = row(OK, OK, OK, OK, OK, OK, OK)
SIGNED_IN = row(LOGIN, OK, OK, OK, OK, OK, OK)
CUSTOMERS = row(LOGIN, OK, OK, 403, 403, 403, 403)
OWN_TICKET = row(LOGIN, OK, 404, 403, 403, 403, 403)
STAFF = row(LOGIN, 403, 403, 403, OK, OK, OK)
STAFF_TICKET = row(LOGIN, 404, 404, 403, OK, OK, OK)  # customers may not probe numbers
ASSIGNEE_WORK = row(LOGIN, 404, 404, 403, 403, OK, OK)
ADMINS = row(LOGIN, 403, 403, 403, 403, 403, OK)
# Visible to the ticket's customer (public file) and to staff.
TICKET_FILE = row(LOGIN, OK, 404, 404, OK, OK, OK)

EXPECTED = {
    ("public.index", "GET"): EVERYONE,
    ("public.faq", "GET"): EVERYONE,
    ("public.faq_suggestions", "GET"): EVERYONE,
    ("public.download", "GET"): TICKET_FILE,
    ("public.notifications", "GET"): SIGNED_IN,
    ("public.mark_notifications_read", "POST"): SIGNED_IN,
    ("static", "GET"): EVERYONE,
    ("auth.login", "GET"): EVERYONE,
    ("auth.login", "POST"): EVERYONE,
    ("auth.logout", "POST"): EVERYONE,
    ("auth.register", "GET"): EVERYONE,
    ("auth.register", "POST"): EVERYONE,
    ("auth.register_agent", "GET"): EVERYONE,
    ("auth.register_agent", "POST"): EVERYONE,
    ("auth.pending", "GET"): SIGNED_IN,
    ("auth.change_password", "GET"): SIGNED_IN,
    ("auth.change_password", "POST"): SIGNED_IN,
    ("auth.request_reset", "GET"): EVERYONE,
    ("auth.request_reset", "POST"): EVERYONE,
    ("auth.reset_password", "GET"): EVERYONE,
    ("auth.reset_password", "POST"): EVERYONE,
    ("auth.verify_email", "GET"): EVERYONE,
    ("auth.confirm_email_change", "GET"): EVERYONE,
    ("auth.resend_verification", "POST"): SIGNED_IN,
    ("auth.account", "GET"): SIGNED_IN,
    ("auth.save_mail_preferences", "POST"): SIGNED_IN,
    ("auth.change_email", "POST"): SIGNED_IN,
    # API tokens: customers and approved staff; each person revokes only their own.
    ("auth.create_api_token", "POST"): row(LOGIN, OK, OK, 403, OK, OK, OK),
    ("auth.revoke_api_token", "POST"): row(LOGIN, OK, 404, 404, 404, 404, 404),
    # Sessions and two-step sign-in (SECURITY.md): one's own only.
    ("auth.end_session", "POST"): row(LOGIN, OK, 404, 404, 404, 404, 404),
    ("auth.end_other_sessions", "POST"): SIGNED_IN,
    ("auth.logout_everywhere", "POST"): SIGNED_IN,
    ("auth.second_step", "GET"): EVERYONE,  # without a password step: back to sign-in
    ("auth.second_step", "POST"): EVERYONE,
    ("auth.two_factor_setup", "GET"): SIGNED_IN,
    ("auth.two_factor_setup", "POST"): SIGNED_IN,
    ("auth.disable_two_factor", "POST"): SIGNED_IN,
    ("admin.reset_two_factor", "POST"): ADMINS,
    ("api_docs.page", "GET"): EVERYONE,
    ("api_docs.asset", "GET"): EVERYONE,
    ("api_docs.openapi_json", "GET"): EVERYONE,
    ("portal.home", "GET"): CUSTOMERS,
    ("portal.tickets", "GET"): CUSTOMERS,
    ("portal.new_ticket", "GET"): CUSTOMERS,
    ("portal.new_ticket", "POST"): CUSTOMERS,
    ("portal.ticket", "GET"): OWN_TICKET,
    ("portal.reply", "POST"): OWN_TICKET,
    ("portal.feedback", "POST"): OWN_TICKET,
    ("portal.confirm", "POST"): OWN_TICKET,
    ("portal.confirm_page", "GET"): OWN_TICKET,
    ("portal.withdraw", "POST"): OWN_TICKET,
    ("agent.queue", "GET"): STAFF,
    ("agent.new_ticket", "GET"): STAFF,
    ("agent.new_ticket", "POST"): STAFF,
    ("agent.bulk", "POST"): STAFF,
    ("agent.export_csv", "GET"): ADMINS,
    ("agent.export_page", "GET"): ADMINS,   # the console's export, with its scope
    ("agent.customer", "GET"): STAFF_TICKET,  # a customer's page: ids cannot be probed
    ("agent.ticket", "GET"): STAFF_TICKET,
    ("agent.reply", "POST"): STAFF_TICKET,  # any agent may add an internal note
    ("agent.take", "POST"): STAFF_TICKET,
    ("agent.escalate", "POST"): STAFF_TICKET,
    ("agent.change_status", "POST"): ASSIGNEE_WORK,
    ("agent.change_priority", "POST"): ASSIGNEE_WORK,
    ("agent.details", "POST"): ASSIGNEE_WORK,
    ("agent.update_ticket", "POST"): ASSIGNEE_WORK,
    ("agent.assign", "POST"): row(LOGIN, 404, 404, 403, 403, 403, OK),
    # Probes for load balancers. /metrics answers nobody until a token or addresses are
    # configured (who may then: tests/test_ops_health.py).
    ("ops.healthz", "GET"): EVERYONE,
    ("ops.readyz", "GET"): EVERYONE,
    ("ops.metrics", "GET"): row(404, 404, 404, 404, 404, 404, 404),
    # Issue 15 (agents-flow): merge (the form's target missing: a 400 past authorization;
    # the service refuses non-assignees), related tickets, presence, the queue's merge page.
    ("agent.merge", "POST"): STAFF_TICKET,
    ("agent.merge_candidates", "GET"): STAFF_TICKET,
    ("agent.link", "POST"): STAFF_TICKET,
    ("agent.unlink", "POST"): STAFF_TICKET,
    ("agent.presence_list", "GET"): STAFF_TICKET,
    ("agent.presence_mark", "POST"): STAFF_TICKET,
    ("agent.bulk_merge", "GET"): STAFF,
    ("agent.bulk_merge", "POST"): STAFF,
    ("agent.organizations_list", "GET"): STAFF,
    ("agent.organization", "GET"): STAFF,
    ("agent.original_mail", "GET"): STAFF,  # the .eml of a mail received
    # Agents' tools: Markdown preview, saved views, tags, macros, custom fields.
    ("public.markdown_preview", "POST"): SIGNED_IN,
    ("portal.preview_reply", "POST"): OWN_TICKET,
    ("agent.preview_reply", "POST"): STAFF_TICKET,
    ("agent.save_view", "POST"): STAFF,
    ("agent.move_view", "POST"): STAFF,       # a shared view: agents are refused (flashed)
    ("agent.delete_view", "POST"): STAFF,
    ("agent.default_view", "POST"): STAFF,
    ("agent.clear_default_view", "POST"): STAFF,
    ("agent.tag_suggestions", "GET"): STAFF,
    ("agent.apply_macro", "POST"): STAFF_TICKET,
    ("agent.save_custom_fields", "POST"): ASSIGNEE_WORK,
    ("agent.macro_list", "GET"): STAFF,
    ("agent.edit_macro", "GET"): STAFF,
    ("agent.edit_macro", "POST"): STAFF,      # the service refuses agents on shared ones
    ("agent.delete_macro", "POST"): STAFF,
}
ADMIN_ROUTES = (
    ("agent_teams", "GET"), ("agent_teams", "POST"), ("agents", "GET"),
    ("approve_agent", "POST"), ("audit_log", "GET"), ("canned_replies", "GET"),
    ("categories", "GET"), ("customers", "GET"), ("dashboard", "GET"),
    ("deactivate_customer", "POST"), ("delete_canned_reply", "POST"), ("delete_faq", "POST"),
    ("delete_team", "POST"), ("delete_ticket", "GET"), ("delete_ticket", "POST"),
    ("edit_canned_reply", "GET"), ("edit_canned_reply", "POST"), ("edit_category", "GET"),
    ("edit_category", "POST"), ("edit_faq", "GET"), ("edit_faq", "POST"),
    ("edit_team", "GET"), ("edit_team", "POST"), ("faq", "GET"), ("promote_agent", "POST"),
    ("reactivate_agent", "POST"), ("reactivate_customer", "POST"), ("reject_agent", "POST"),
    ("settings", "GET"), ("settings", "POST"), ("sla", "GET"), ("sla", "POST"),
    ("suspend_agent", "POST"), ("team_members", "GET"), ("team_members", "POST"),
    ("teams", "GET"),
    ("organizations", "GET"), ("edit_organization", "GET"), ("edit_organization", "POST"),
    ("organization_members", "GET"), ("organization_members", "POST"),
    ("remove_organization_member", "POST"), ("delete_organization", "POST"),
    ("webhooks", "GET"), ("new_webhook", "GET"), ("new_webhook", "POST"),
    ("edit_webhook", "GET"), ("edit_webhook", "POST"), ("rotate_webhook_secret", "POST"),
    ("delete_webhook", "POST"), ("webhook_deliveries", "GET"),
    ("retry_webhook_delivery", "POST"),
    ("mail_log_page", "GET"), ("retry_mail", "POST"), ("incoming_mail", "GET"),
    ("tags", "GET"), ("rename_tag", "POST"), ("custom_fields", "GET"),
    ("edit_custom_field", "GET"), ("edit_custom_field", "POST"),
    ("move_category", "POST"),
)
EXPECTED.update({(f"admin.{name}", method): ADMINS for name, method in ADMIN_ROUTES})
# product.md: "admins and agents edit" the FAQ.
EXPECTED.update({(f"admin.{name}", method): STAFF for name, method in (
    ("faq", "GET"), ("edit_faq", "GET"), ("edit_faq", "POST"), ("delete_faq", "POST"))})

# The form data every POST carries: enough to get past CSRF-free validation somewhere,
# harmless everywhere else. Authorization is decided before it matters.
FORM = {"body": "Matrix check", "internal": "y", "status": "resolved", "priority": "high",
        "reason": "Matrix check", "rating": "5", "comment": "fine", "subject": "Matrix",
        "description": "Matrix", "name": "Matrix", "email": "matrix@example.com",
        "password": "wrong-password", "current_password": "x", "new_password": "y",
        "action": "priority", "ticket_ids": "1"}


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_endpoint_is_in_the_matrix(app):
    # The JSON API (bearer tokens, not sessions) has its own: tests/test_api_authorization.py.
    missing = [(r.endpoint, m) for r, m in routes(app)
               if (r.endpoint, m) not in EXPECTED and not r.endpoint.startswith("api.")]
    assert missing == []


def _world(ticket_owner_password_user=None):
    owner = make_user(Role.CUSTOMER, name="Owner")
    other = make_user(Role.CUSTOMER, name="Other")
    pending = make_user(Role.AGENT, agent_status=AgentStatus.PENDING, name="Pending")
    agent = make_user(Role.AGENT, name="Agent")
    assignee = make_user(Role.AGENT, name="Assignee")
    admin = make_user(Role.ADMIN, name="Admin")
    organization = Organization(name="Matrix Ltd", shares_tickets=True)
    db.session.add(organization)
    owner.organization = organization
    hook = Webhook(url="http://hooks.example/in", secret="s", events="ticket.created")
    db.session.add(hook)
    db.session.commit()
    ticket = make_ticket(owner, files=[_file()])
    assignment.take_ticket(ticket, assignee)
    conversation.post_reply(ticket, assignee, "Public answer")
    people = {"owner": owner, "other_customer": other, "pending_agent": pending,
              "agent": agent, "assignee": assignee, "admin": admin}
    return people, ticket


def _received_mail() -> int:
    from helpdesk.models import InboundMail
    from helpdesk.services.mail.ingest import ingest_message
    found = db.session.scalar(db.select(InboundMail.id).where(
        InboundMail.stored_name.is_not(None)))
    if found is None:
        ingest_message(b"From: mailer@example.com\r\nSubject: Matrix\r\n"
                       b"Message-ID: <matrix@example.com>\r\n\r\nHello\r\n")
        found = db.session.scalar(db.select(db.func.max(InboundMail.id)))
    return found


def _failed_delivery() -> int:
    from helpdesk.models import OutboxMail
    row = OutboxMail(kind="notice", to_address="x@example.com", subject="Matrix",
                     message_id=f"<matrix-{db.session.scalar(db.select(db.func.count(OutboxMail.id)))}@x>",
                     raw="Subject: Matrix\r\n\r\nx", state="failed")
    db.session.add(row)
    db.session.commit()
    return row.id


def _file():
    from werkzeug.datastructures import FileStorage
    stream, name = upload("photo.png", PNG_BYTES)
    return FileStorage(stream, filename=name)


def _own_token(people) -> int:
    """A fresh personal API token of the ticket's owner."""
    from helpdesk.services.people import tokens
    token, _secret = tokens.create_personal_token(people["owner"], name="Matrix",
                                                  scopes=["read"], expires_in_days=None)
    return token.id


def _own_session(people) -> int:
    """Another open web session of the ticket's owner (a second browser)."""
    from helpdesk.models import UserSession
    from helpdesk.services.people import sessions
    sessions.start(people["owner"], address="192.0.2.1", user_agent="Matrix")
    return db.session.scalar(db.select(db.func.max(UserSession.id)))


def _shared_row(kind: str, people) -> int:
    """A shared saved view, shared macro or custom field (made again if an admin's
    request deleted it)."""
    from helpdesk.models import CustomField, Macro, SavedView
    model = {"view": SavedView, "macro": Macro, "field": CustomField}[kind]
    found = db.session.scalar(db.select(model.id).order_by(model.id))
    if found is None:
        row = {"view": lambda: SavedView(name="Matrix", query="", shared=True, position=1),
               "macro": lambda: Macro(title="Matrix", body="Hi", actions="{}"),
               "field": lambda: CustomField(key="matrix", label="Matrix", kind="text",
                                            required=False, customer_visible=True,
                                            options="", active=True, position=0)}[kind]()
        db.session.add(row)
        db.session.commit()
        found = row.id
    return found


def _url_args(rule, people, ticket):
    """Concrete values for the rule's URL parameters."""
    values = {}
    for arg in rule.arguments - set(rule.defaults or ()):
        if arg == "number":
            values[arg] = ticket.number
        elif arg == "attachment_id":
            values[arg] = db.session.scalar(db.select(Attachment.id))
        elif arg == "user_id" and rule.endpoint in ("admin.remove_organization_member",
                                                    "agent.customer"):
            values[arg] = people["owner"].id
        elif arg == "user_id":
            values[arg] = people["pending_agent"].id
        elif arg == "team_id":
            values[arg] = db.session.scalar(db.select(Team.id))
        elif arg == "category_id":
            values[arg] = db.session.scalar(db.select(Category.id))
        elif arg == "entry_id":
            values[arg] = db.session.scalar(db.select(db.func.max(FaqEntry.id)))
        elif arg == "reply_id":
            from helpdesk.models import CannedReply
            values[arg] = db.session.scalar(db.select(CannedReply.id))
        elif arg == "organization_id":
            values[arg] = db.session.scalar(db.select(Organization.id))
        elif arg == "webhook_id":
            values[arg] = db.session.scalar(db.select(Webhook.id))
        elif arg == "delivery_id" and rule.endpoint == "admin.retry_webhook_delivery":
            values[arg] = db.session.scalar(db.select(WebhookDelivery.id))
        elif arg == "filename":
            values[arg] = "css/app.css"
        elif arg == "token":
            values[arg] = "not-a-valid-token"
        elif arg == "mail_id":
            values[arg] = _received_mail()
        elif arg == "delivery_id":
            values[arg] = _failed_delivery()
        elif arg == "name":
            values[arg] = "swagger-ui.css"
        elif arg == "token_id":
            values[arg] = _own_token(people)
        elif arg == "session_id":
            values[arg] = _own_session(people)
        elif arg == "view_id":
            values[arg] = _shared_row("view", people)
        elif arg == "macro_id":
            values[arg] = _shared_row("macro", people)
        elif arg == "field_id":
            values[arg] = _shared_row("field", people)
        else:
            raise AssertionError(f"no sample value for <{arg}> in {rule.rule}")
    return values


def _outcome(response) -> object:
    if response.status_code in (403, 404):
        return response.status_code
    if response.status_code in (301, 302, 303) and "/auth/login" in response.headers.get(
            "Location", "") and "next=" in response.headers.get("Location", ""):
        return LOGIN
    assert response.status_code < 500, response.status_code
    return OK


def pytest_generate_tests(metafunc):
    if "endpoint_method" in metafunc.fixturenames:
        metafunc.parametrize("endpoint_method", sorted(EXPECTED), ids="{0[0]}:{0[1]}".format)


def test_authorization_matrix(app, endpoint_method):
    endpoint, method = endpoint_method
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint
             and method in r.methods]
    if not rules:
        pytest.fail(f"{endpoint} {method} is in the matrix but not in the app")
    people, ticket = _world()
    expected = EXPECTED[endpoint_method]
    for rule in rules:
        # Admin last: its actions may change what the others would see.
        for persona in PERSONAS:
            # Built per visitor: a delete by one must not leave the next a missing row.
            path = rule.build(_url_args(rule, people, ticket), append_unknown=False)[1]
            client = app.test_client()
            if persona != "anonymous":
                user = people[persona]
                client.post("/auth/login", data={"email": user.email,
                                                 "password": "password123"})
            if method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, data=FORM)
            response.get_data()  # drain streamed bodies (CSV, files) and close them
            response.close()
            got = _outcome(response)
            assert got == expected[persona], (
                f"{method} {path} as {persona}: expected {expected[persona]}, got {got} "
                f"({response.status_code} {response.headers.get('Location', '')})")
            db.session.expire_all()
