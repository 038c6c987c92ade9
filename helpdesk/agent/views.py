from flask import render_template

from . import bp


@bp.get("/queue")
def queue():
    return render_template("agent/queue.html")


@bp.get("/tickets/<number>")
def ticket(number):
    return render_template("agent/queue.html")
