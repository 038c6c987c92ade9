from flask import render_template

from . import bp


@bp.get("/")
def dashboard():
    return render_template("admin/dashboard.html")


@bp.get("/agents")
def agents():
    return render_template("admin/dashboard.html")
