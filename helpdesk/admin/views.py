"""Console home: the statistics dashboard, the audit log and ticket deletion."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..services.errors import DomainError
from ..services.reporting import audit_log as audit_log_service
from ..services.reporting import charts, stats
from ..services.tickets import housekeeping
from ..web import form_status, paginate, refuse, show_refusal
from . import bp
from .forms import AuditFilterForm, DeleteTicketForm

AUDIT_PAGE_SIZE = 50


@bp.get("/")
def dashboard():
    return render_template("admin/dashboard.html", stats=stats.dashboard(), charts=charts)


@bp.get("/audit")
def audit_log():
    form = AuditFilterForm(request.args)
    valid = form.validate()  # invalid filters: shown next to their fields, list unfiltered
    page = paginate(audit_log_service.audit_log_query(**(form.data if valid else {})),
                    AUDIT_PAGE_SIZE)
    return render_template("admin/audit.html", form=form, page=page), 200 if valid else 400


@bp.route("/tickets/<number>/delete", methods=["GET", "POST"])
def delete_ticket(number: str):
    try:
        ticket = housekeeping.get_ticket(number)
    except DomainError as error:
        refuse(error)
    form = DeleteTicketForm()
    status = form_status(form)
    if form.validate_on_submit():
        try:
            deleted = housekeeping.delete_ticket(ticket, current_user, reason=form.reason.data)
        except DomainError as error:
            status = show_refusal(form, error)
        else:
            flash(f"Ticket {deleted} was deleted with its messages and files.", "success")
            return redirect(url_for("agent.queue"))
    return render_template("admin/ticket_delete.html", ticket=ticket, form=form,
                           summary=housekeeping.deletion_summary(ticket)), status
