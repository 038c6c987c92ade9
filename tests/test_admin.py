"""The console is for admins only: every /admin page and action, walked from the URL map."""
import re

import pytest
from conftest import login, make_user

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, AuditEvent, Role


def admin_urls(app, ticket_number: str):
    """(method, url) for every admin endpoint, with sample values for its arguments."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        values = {arg: (ticket_number if arg == "number" else 1) for arg in rule.arguments}
        url = re.sub(r"<(?:[a-z]+:)?(\w+)>", lambda m, v=values: str(v[m.group(1)]), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, url))
    return urls


def test_the_url_map_has_the_console_pages(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for name in ("dashboard", "agents", "approve_agent", "reject_agent", "suspend_agent",
                 "reactivate_agent", "promote_agent", "customers", "deactivate_customer",
                 "categories", "teams", "faq", "canned_replies", "sla", "settings",
                 "audit_log", "delete_ticket"):
        assert f"admin.{name}" in endpoints, name


@pytest.mark.parametrize("role, status", [
    (Role.CUSTOMER, None), (Role.AGENT, AgentStatus.APPROVED),
    (Role.AGENT, AgentStatus.PENDING),
])
def test_everyone_but_admins_gets_403_on_every_admin_page_and_action(app, client, ticket,
                                                                     role, status):
    login(client, make_user(role, agent_status=status))
    urls = admin_urls(app, ticket.number)
    assert len(urls) > 30
    if status == AgentStatus.APPROVED:  # approved agents also edit the FAQ (product.md)
        urls = [(method, url) for method, url in urls if not url.startswith("/admin/faq")]
    for method, url in urls:
        response = client.open(url, method=method)
        assert response.status_code == 403, (method, url, response.status_code)
    assert db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(
        AuditEvent.action != "created")) == 0  # and nothing happened


def test_signed_out_visitors_are_sent_to_sign_in(app, client, ticket):
    for method, url in admin_urls(app, ticket.number):
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert "/auth/login" in response.headers["Location"]


def test_admins_can_open_every_console_page(app, client, admin, ticket):
    login(client, admin)
    for method, url in admin_urls(app, ticket.number):
        if method != "GET":
            continue
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        if "/1" not in url:  # sample ids may not exist; pages without ids must
            assert response.status_code == 200, url


def test_the_console_navigation_links_every_section(client, admin):
    login(client, admin)
    html = client.get("/admin/").get_data(as_text=True)
    nav = html[html.index('aria-label="Console"'):]
    for text in ("Dashboard", "Agents", "Customers", "Categories", "Teams", "FAQ",
                 "Canned replies", "SLA", "Settings", "Audit log"):
        assert f">{text}</a>" in nav, text


def test_console_pages_carry_no_inline_script_or_style(client, admin, ticket, pending_agent):
    login(client, admin)
    for url in ("/admin/", "/admin/agents", "/admin/customers", "/admin/teams",
                "/admin/sla", "/admin/audit", f"/admin/tickets/{ticket.number}/delete"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "<style" not in html and " style=" not in html, url
