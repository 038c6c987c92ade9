"""The customer's rating of a resolved ticket: once, 1 to 5, with an optional comment."""
from sqlalchemy.exc import IntegrityError

from ... import permissions
from ...extensions import db
from ...models import DONE_STATUSES, Feedback, Ticket, User
from .. import audit, events, notifications
from ..errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from ..unit_of_work import unit_of_work


def submit_feedback(ticket: Ticket, customer: User, rating: int,
                    comment: str | None = None) -> Feedback:
    if not permissions.can_view_ticket(customer, ticket):
        raise NotFound("Ticket not found.")
    if not permissions.is_requester(customer, ticket):  # a colleague's shared ticket
        raise Forbidden("Only the person who opened this ticket can rate it.",
                        field="rating")
    if ticket.status not in DONE_STATUSES:
        raise InvalidTransition("You can rate a ticket once it is resolved.", field="rating")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput("Choose a rating from 1 to 5.", field="rating")
    if ticket.feedback is not None:
        return _change_rating(ticket, customer, rating, comment)
    try:
        with unit_of_work():
            feedback = Feedback(ticket=ticket, author_id=customer.id, rating=rating,
                                comment=(comment or "").strip() or None)
            db.session.add(feedback)
            audit.record(ticket, customer, "feedback", new=rating)
            events.publish("feedback.created", ticket, actor=customer, feedback=feedback)
            notifications.notify([ticket.assignee], ticket, "feedback",
                                 f"{ticket.number} was rated {rating}/5", actor=customer,
                                 anchor="history-title")
    except IntegrityError:  # a second rating raced the first one in
        raise Conflict("You have already rated this ticket.", field="rating") from None
    return feedback


def _change_rating(ticket: Ticket, customer: User, rating: int, comment: str | None
                   ) -> Feedback:
    """The requester changes their rating (or adds a comment) within
    RATING_CHANGE_DAYS days of giving it; after that it is final."""
    feedback = ticket.feedback
    if permissions.rating_is_final(feedback):
        raise Conflict(f"Ratings can be changed for {permissions.RATING_CHANGE_DAYS} days; "
                       "this one is final now.", field="rating")
    comment = (comment or "").strip() or None
    if feedback.rating == rating and (comment is None or comment == feedback.comment):
        return feedback
    with unit_of_work():
        if feedback.rating != rating:
            audit.record(ticket, customer, "feedback", field="rating", old=feedback.rating,
                         new=rating, note="changed")
            feedback.rating = rating
        if comment is not None:
            feedback.comment = comment
        events.publish("feedback.created", ticket, actor=customer, feedback=feedback)
    return feedback
