"""The API's description and its documentation page: every route of the contract is in
/api/v1/openapi.json (OpenAPI 3), and /api/docs shows it with assets we serve ourselves,
under our Content-Security-Policy (scripts from this site only, none inline)."""
import re

CONTRACT = {
    "/api/v1/auth/token": {"post"}, "/api/v1/auth/refresh": {"post"},
    "/api/v1/me": {"get"}, "/api/v1/tickets": {"get", "post"},
    "/api/v1/tickets/{number}": {"get", "patch", "delete"},
    "/api/v1/tickets/{number}/status": {"post"}, "/api/v1/tickets/{number}/take": {"post"},
    "/api/v1/tickets/{number}/assign": {"post"},
    "/api/v1/tickets/{number}/escalate": {"post"},
    "/api/v1/tickets/{number}/messages": {"get", "post"},
    "/api/v1/messages/{message_id}": {"patch", "delete"},
    "/api/v1/tickets/{number}/attachments": {"post"},
    "/api/v1/attachments/{attachment_id}": {"get"},
    "/api/v1/tickets/{number}/history": {"get"},
    "/api/v1/tickets/{number}/feedback": {"post"},
    "/api/v1/stats": {"get"}, "/api/v1/categories": {"get"}, "/api/v1/faq": {"get"},
    "/api/v1/agents": {"get"}, "/api/v1/agents/{user_id}/approve": {"post"},
    "/api/v1/agents/{user_id}/reject": {"post"},
    # issue 15 (agents-flow): merge and related tickets, beyond the contract's table
    "/api/v1/tickets/{number}/merge": {"post"},
    "/api/v1/tickets/{number}/links": {"get", "post"},
    "/api/v1/tickets/{number}/links/{related_number}": {"delete"},
}
LIST_FILTERS = {"status", "priority", "category", "team", "assignee", "organization", "open",
                "overdue", "q", "created_after", "created_before", "sort", "limit", "cursor"}


def test_the_description_covers_every_route_of_the_contract(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    paths = {path: set(ops) - {"parameters"} for path, ops in spec["paths"].items()}
    assert paths == CONTRACT
    listing = spec["paths"]["/api/v1/tickets"]["get"]
    assert {p["name"] for p in listing["parameters"]} == LIST_FILTERS
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    token = spec["paths"]["/api/v1/auth/token"]["post"]
    assert token["security"] == []  # signing in needs no token
    problem = spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]
    assert list(problem) == ["application/problem+json"]
    ticket = spec["components"]["schemas"]["Ticket"]["properties"]
    assert set(ticket) >= {"number", "subject", "description", "status", "priority",
                           "category", "team", "requester", "assignee", "organization",
                           "tags", "order_reference", "due_at", "first_response_at",
                           "resolved_at", "closed_at", "created_at", "updated_at"}


def test_the_docs_page_runs_under_our_csp_with_our_own_assets(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)
    assert "http://" not in html and "https://" not in html  # no CDN
    for asset in re.findall(r'(?:src|href)="(/[^"]+)"', html):
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assert client.get("/api/docs/assets/index.html").status_code == 404  # only what we use
