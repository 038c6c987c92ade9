"""The seeds' "company support history" through the API: `?organization=<id>`, and
organizations' shared visibility."""
from api_support import ApiClient
from conftest import PASSWORD, make_ticket, make_user

from helpdesk.models import Role


def _subjects(api, query, user) -> list[str]:
    response = api.get(f"/tickets?{query}", as_=user)
    assert response.status_code == 200, response.get_json()
    return sorted(t["subject"] for t in response.get_json()["items"])


def test_a_companys_support_history_and_shared_visibility(app, admin, agent):
    from helpdesk.services.people import accounts, organizations
    acme = organizations.save_organization(admin, None, name="Acme", domains="acme.example",
                                           shares_tickets=False)
    ann = accounts.register_customer(name="Ann", email="ann@acme.example", password=PASSWORD)
    bob = accounts.register_customer(name="Bob", email="bob@acme.example", password=PASSWORD)
    outsider = make_user(Role.CUSTOMER)
    anns = make_ticket(ann, subject="Ann's")
    make_ticket(bob, subject="Bob's")
    make_ticket(outsider, subject="Elsewhere")
    api = ApiClient(app)
    history = api.get(f"/tickets?organization={acme.id}", as_=agent)
    assert sorted(t["subject"] for t in history.get_json()["items"]) == ["Ann's", "Bob's"]
    assert history.get_json()["items"][0]["organization"] == {"id": acme.id, "name": "Acme"}
    assert _subjects(api, f"organization={acme.id}&open=true", agent) == ["Ann's", "Bob's"]
    assert api.get("/me", as_=ann).get_json()["organization"]["name"] == "Acme"
    # Colleagues see each other's tickets only while the organization shares them.
    assert _subjects(api, "", ann) == ["Ann's"]
    assert api.get(f"/tickets/{anns.number}", as_=bob).status_code == 404
    organizations.save_organization(admin, acme, name="Acme", domains="acme.example",
                                    shares_tickets=True)
    assert _subjects(api, "", bob) == ["Ann's", "Bob's"]
    assert _subjects(api, f"organization={acme.id}", bob) == ["Ann's", "Bob's"]
    shared = api.get(f"/tickets/{anns.number}", as_=bob)
    assert shared.status_code == 200 and shared.get_json()["allowed_statuses"] == []
    assert _subjects(api, "", outsider) == ["Elsewhere"]
