"""Accounts for the load test: customers, approved agents and admins with one known
password, written to a JSON file for the locust users (locustfile.py); and a webhook for
every event to the runner's receiver.

    python bench/loadtest/prepare.py USERS.json --customers 60 --agents 6 --admins 1

Runs against the database in HELPDESK_DATABASE_URL (run.py sets the environment).
"""
import argparse
import json
from datetime import date

from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import WEBHOOK_EVENTS, AgentStatus, Role, User
from helpdesk.services.catalog.defaults import install_defaults
from helpdesk.services.people import accounts
from helpdesk.services.unit_of_work import unit_of_work
from helpdesk.services.webhooks import hooks

PASSWORD = "load-test-password"  # noqa: S105 (a throw-away test database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--agents", type=int, default=6)
    parser.add_argument("--admins", type=int, default=1)
    parser.add_argument("--webhook-url", help="a receiver for every webhook event")
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        install_defaults()
        password_hash = accounts.hash_password(PASSWORD)  # once: same password for all
        made = {"customers": [], "agents": [], "admins": []}
        with unit_of_work():
            for group, role, n in (("customers", Role.CUSTOMER, args.customers),
                                   ("agents", Role.AGENT, args.agents),
                                   ("admins", Role.ADMIN, args.admins)):
                for i in range(1, n + 1):
                    email = f"load-{role}-{i:03d}@example.com"
                    db.session.add(User(
                        email=email, name=f"Load {role.title()} {i}", role=role,
                        password_hash=password_hash,
                        agent_status=AgentStatus.APPROVED if role == Role.AGENT else None))
                    made[group].append(email)
        if args.webhook_url:
            admin = db.session.scalar(db.select(User).where(User.email == made["admins"][0]))
            hooks.create_webhook(admin, url=args.webhook_url, events=WEBHOOK_EVENTS,
                                 include_internal=True, description="load test receiver")
    with open(args.out, "w") as out:
        json.dump({**made, "password": PASSWORD, "today": date.today().isoformat()}, out,
                  indent=2)


if __name__ == "__main__":
    main()
