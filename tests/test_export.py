"""CSV export of the filtered queue: admins only, the same filters as the page, streamed,
formula injection neutralised."""
import csv
import io

import pytest
from conftest import login, make_ticket, make_user
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import Role, Status, Ticket
from helpdesk.services.reporting import export


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_admins_export_the_filtered_queue_as_a_streamed_csv(app, client, admin, agent,
                                                            customer):
    damaged = make_ticket(customer, subject="Parcel arrived damaged")
    make_ticket(customer, subject="Refund not received")
    closed = make_ticket(customer, subject="Parcel never came")
    closed.status, closed.assignee = Status.CLOSED, agent
    db.session.commit()
    login(client, admin)

    response = client.get("/agent/queue.csv?q=parcel")
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment;" in response.headers["Content-Disposition"]
    header, *rows = rows_of(response)
    assert header[:4] == ["Number", "Subject", "Status", "Priority"]
    assert [r[0] for r in rows] == [damaged.number]  # open only, as on the page
    assert rows[0][2:4] == ["New", "Medium"] and rows[0][6] == "Carla Customer"

    _, *rows = rows_of(client.get("/agent/queue.csv?filtered=1&q=parcel&sort=created"))
    assert [r[0] for r in rows] == [closed.number, damaged.number]
    assert rows[0][8] == agent.name


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)",
                                       "\t=1"])
def test_cells_that_would_run_as_formulas_are_neutralised(app, client, admin, dangerous):
    requester = make_user(Role.CUSTOMER, name=dangerous)
    ticket = make_ticket(requester, subject=dangerous)
    login(client, admin)
    _, row = rows_of(client.get("/agent/queue.csv"))
    assert row[0] == ticket.number
    assert row[1] == "'" + dangerous.strip()  # the service strips subjects
    assert row[6] == "'" + dangerous


def test_safe_cell_leaves_ordinary_text_alone():
    assert export.safe_cell("Parcel - damaged") == "Parcel - damaged"
    assert export.safe_cell(None) == "" and export.safe_cell(True) == "yes"
    assert export.safe_cell(2.5) == "2.5"


def test_the_export_reads_in_batches_and_writes_in_chunks(app, admin, customer, monkeypatch):
    for i in range(7):
        make_ticket(customer, subject=f"Batch {i}")
    monkeypatch.setattr(export, "BATCH_ROWS", 2)
    from helpdesk.services.queue.filters import QueueFilters
    chunks = list(export.csv_chunks(export.export_rows(admin, QueueFilters()), rows_per_chunk=3))
    assert len(chunks) == 3  # header + 7 rows in chunks of 3
    numbers = [r[0] for r in csv.reader(io.StringIO("".join(chunks)))][1:]
    assert sorted(numbers) == sorted(db.session.scalars(select(Ticket.number)))


def test_agents_may_not_export(app, client, agent, ticket):
    login(client, agent)
    assert client.get("/agent/queue.csv").status_code == 403
