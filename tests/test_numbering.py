"""Ticket numbers: sequential, no gaps, no repeats — also under concurrency."""
import threading

from conftest import make_ticket, make_user

from helpdesk.extensions import db
from helpdesk.models import Role, Setting, Ticket
from helpdesk.services.errors import InvalidInput
from helpdesk.services.tickets import opening


def test_numbers_are_sequential_with_the_prefix(customer):
    assert [make_ticket(customer).number for _ in range(3)] == [
        "TKT-000001", "TKT-000002", "TKT-000003"]


def test_a_failed_creation_leaves_no_gap(customer):
    make_ticket(customer)
    try:
        make_ticket(customer, category_id=999999)
    except InvalidInput:
        pass
    assert make_ticket(customer).number == "TKT-000002"


def test_prefix_setting_applies_to_new_tickets(customer):
    make_ticket(customer)
    db.session.add(Setting(key="ticket_prefix", value="HD-"))
    db.session.commit()
    assert make_ticket(customer).number == "HD-000002"


def test_concurrent_creation_gives_distinct_consecutive_numbers(app):
    customers = [make_user(Role.CUSTOMER) for _ in range(8)]
    customer_ids = [c.id for c in customers]
    errors = []

    def create_many(user_id):
        try:
            with app.app_context():
                user = db.session.get(type(customers[0]), user_id)
                for _ in range(25):
                    opening.create_ticket(requester=user, created_by=user, subject="Race",
                                          description="Concurrent creation")
        except Exception as error:  # surfaced below: a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=create_many, args=(uid,)) for uid in customer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    numbers = sorted(db.session.scalars(db.select(Ticket.number)))
    assert numbers == [f"TKT-{n:06d}" for n in range(1, 201)]


def test_configured_prefix_applies_until_an_admin_sets_one(app_config, app, customer):
    app.config["TICKET_PREFIX"] = "SUP-"
    assert make_ticket(customer).number == "SUP-000001"


def test_files_are_stored_before_the_number_is_taken(customer):
    """Taking a number locks the counter row until commit; an upload (maybe to object
    storage) must not happen while every other new ticket waits on that lock."""
    import io

    from helpdesk.models import TicketCounter

    make_ticket(customer)
    counter_while_reading = []

    class WatchedStream(io.BytesIO):
        def read(self, *args):
            counter_while_reading.append(db.session.scalar(
                db.select(TicketCounter.value).where(TicketCounter.name == "ticket")))
            return super().read(*args)

    class Upload:
        filename = "notes.txt"
        stream = WatchedStream(b"plain text notes\n")

    ticket = opening.create_ticket(requester=customer, created_by=customer, subject="Files",
                                   description="See the file.", files=[Upload()])
    assert ticket.number == "TKT-000002"
    assert counter_while_reading and set(counter_while_reading) == {1}
