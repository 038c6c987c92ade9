"""A customer's page for agents: contact details, organization, their tickets."""
from flask import render_template
from flask_login import current_user

from ..services.errors import DomainError
from ..services.people import customer_profile
from ..web import paginate, refuse
from . import bp

PAGE_SIZE = 25


@bp.get("/customers/<id:user_id>")
def customer(user_id: int):
    try:
        person = customer_profile.get_customer(current_user, user_id)
    except DomainError as error:
        refuse(error)
    tickets = paginate(customer_profile.tickets_query(person), PAGE_SIZE)
    return render_template("agent/customer.html", person=person, tickets=tickets,
                           open_count=customer_profile.open_count(person))
