"""Take is race-safe through the API too: agents taking the same tickets at the same
moment get exactly one 200 per ticket and a 409 for everyone else (real parallel
transactions on PostgreSQL)."""
from api_support import ApiClient, access_token
from conftest import make_ticket, make_user
from test_concurrency import run_threads

from helpdesk.extensions import db
from helpdesk.models import Role, Ticket

AGENTS, TICKETS = 6, 5


def test_agents_racing_to_take_the_same_tickets_each_win_or_get_a_409(app, customer):
    agents = [make_user(Role.AGENT) for _ in range(AGENTS)]
    numbers = [make_ticket(customer, subject=f"Race {i}").number for i in range(TICKETS)]
    outcomes = []

    def take_all(token):
        def job():
            api = ApiClient(app)
            for number in numbers:
                response = api.post(f"/tickets/{number}/take", as_=token)
                outcomes.append((number, response.status_code,
                                 (response.get_json() or {}).get("assignee")))
        return job

    assert run_threads(app, [take_all(access_token(a)) for a in agents]) == []
    db.session.expire_all()
    for number in numbers:
        codes = sorted(code for n, code, _ in outcomes if n == number)
        assert codes == [200] + [409] * (AGENTS - 1), (number, codes)
        [winner] = [who for n, code, who in outcomes if n == number and code == 200]
        ticket = db.session.scalar(db.select(Ticket).where(Ticket.number == number))
        assert ticket.assignee_id == winner["id"] and ticket.status == "in_progress"
