from flask import render_template

from . import bp


@bp.get("/tickets")
def tickets():
    return render_template("portal/tickets.html")


@bp.get("/tickets/new")
def new_ticket():
    return render_template("portal/tickets.html")


@bp.get("/tickets/<number>")
def ticket(number):
    return render_template("portal/tickets.html")
