"""The status table of product.md, cell by cell: first the pure workflow (no database),
then the ticket service over the whole matrix, with audit events only for the moves
that happened."""
import itertools

import pytest
from conftest import make_ticket
from sqlalchemy import func, select

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Role, Status, Ticket
from helpdesk.services.errors import Forbidden, InvalidTransition
from helpdesk.services.tickets import status as ticket_status
from helpdesk.services.tickets.workflow import (
    EVENT_WAYS,
    Way,
    allowed_targets,
    is_allowed,
    manual_ways,
    next_status,
)

S, W = Status, Way

# Written out again from product.md's table, on purpose not imported from the code.
# (from, to): the ways that may cause the move; every other pair is refused.
EXPECTED = {
    (S.NEW, S.OPEN): {W.ASSIGN},
    (S.NEW, S.IN_PROGRESS): {W.TAKE, W.AGENT},
    (S.NEW, S.RESOLVED): {W.AGENT},
    (S.NEW, S.CLOSED): {W.AGENT, W.WITHDRAW, W.MERGE},
    (S.OPEN, S.IN_PROGRESS): {W.TAKE, W.AGENT},
    (S.OPEN, S.ON_HOLD): {W.AGENT},
    (S.OPEN, S.RESOLVED): {W.AGENT},
    (S.OPEN, S.CLOSED): {W.AGENT, W.WITHDRAW, W.MERGE},
    (S.IN_PROGRESS, S.OPEN): {W.AGENT},
    (S.IN_PROGRESS, S.ON_HOLD): {W.AGENT},
    (S.IN_PROGRESS, S.RESOLVED): {W.AGENT},
    (S.IN_PROGRESS, S.CLOSED): {W.AGENT, W.WITHDRAW, W.MERGE},
    (S.ON_HOLD, S.OPEN): {W.CUSTOMER_REPLY, W.AGENT},
    (S.ON_HOLD, S.IN_PROGRESS): {W.AGENT},
    (S.ON_HOLD, S.RESOLVED): {W.AGENT},
    (S.ON_HOLD, S.CLOSED): {W.AGENT, W.WITHDRAW, W.MERGE},
    (S.RESOLVED, S.OPEN): {W.CUSTOMER_REPLY, W.AGENT},
    (S.RESOLVED, S.IN_PROGRESS): {W.AGENT},
    (S.RESOLVED, S.CLOSED): {W.CONFIRM, W.AGENT, W.AUTOCLOSE, W.MERGE},
    (S.CLOSED, S.OPEN): {W.ADMIN},
}


@pytest.mark.parametrize("current, target, way", list(itertools.product(S, S, W)))
def test_every_cell_of_the_status_table(current, target, way):
    assert is_allowed(current, target, {way}) == (way in EXPECTED.get((current, target), set()))


@pytest.mark.parametrize("role, expected_ways", [
    (Role.AGENT, {W.AGENT}), (Role.ADMIN, {W.AGENT, W.ADMIN}), (Role.CUSTOMER, set())])
@pytest.mark.parametrize("current", list(S))
def test_people_are_offered_exactly_the_statuses_they_may_pick(role, expected_ways, current):
    expected = [t for t in S if EXPECTED.get((current, t), set()) & expected_ways]
    assert allowed_targets(current, manual_ways(role)) == expected


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("way", sorted(EVENT_WAYS))
def test_events_move_a_ticket_to_at_most_one_status(current, way):
    targets = [t for t in S if way in EXPECTED.get((current, t), set())]
    assert len(targets) <= 1
    assert next_status(current, way) == (targets[0] if targets else None)


@pytest.mark.parametrize("way", [W.AGENT, W.ADMIN])
def test_statuses_chosen_by_a_person_are_not_events(way):
    with pytest.raises(ValueError):
        next_status(S.NEW, way)


# --- the ticket service over the whole matrix ------------------------------------------

def _status_events(ticket) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.ticket_id == ticket.id, AuditEvent.field == "status"))


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("role", [Role.AGENT, Role.ADMIN])
def test_change_status_allows_exactly_the_table_and_audits_only_real_moves(
        app, customer, agent, admin, current, role):
    actor = agent if role == Role.AGENT else admin
    for target in S:
        ticket = make_ticket(customer, subject=f"{current} to {target}")
        ticket.status, ticket.assignee = current, agent
        db.session.commit()
        allowed = bool(EXPECTED.get((current, target), set()) & manual_ways(role))
        if allowed:
            ticket_status.change_status(ticket, actor, target)
            db.session.refresh(ticket)
            assert ticket.status == target
            event = db.session.scalars(select(AuditEvent).where(
                AuditEvent.ticket_id == ticket.id, AuditEvent.field == "status")).one()
            assert (event.old_value, event.new_value, event.actor_id) == (
                current, target, actor.id)
            assert (ticket.resolved_at is not None) == (target in (S.RESOLVED, S.CLOSED))
            assert (ticket.closed_at is not None) == (target == S.CLOSED)
        else:
            with pytest.raises(InvalidTransition):
                ticket_status.change_status(ticket, actor, target)
            db.session.refresh(ticket)
            assert ticket.status == current
            assert _status_events(ticket) == 0


def test_an_agent_cannot_change_the_status_of_someone_elses_ticket(
        app, customer, agent, other_agent):
    ticket = make_ticket(customer)
    ticket.status, ticket.assignee = S.IN_PROGRESS, other_agent
    db.session.commit()
    with pytest.raises(Forbidden):
        ticket_status.change_status(ticket, agent, S.RESOLVED)
    db.session.refresh(ticket)
    assert ticket.status == S.IN_PROGRESS and _status_events(ticket) == 0
    assert db.session.get(Ticket, ticket.id).resolved_at is None
