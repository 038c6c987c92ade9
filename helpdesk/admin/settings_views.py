"""SLA targets per priority and the installation's settings."""
from flask_login import current_user

from ..services.catalog import admin as reference
from ..services.catalog import settings as settings_service
from . import bp
from .forms import SettingsForm, SlaForm
from .handling import admin_url, edit_page


@bp.route("/sla", methods=["GET", "POST"])
def sla():
    current = reference.sla_targets()
    form = SlaForm(data=SlaForm.initial(current))
    return edit_page(form, lambda: reference.save_sla_targets(current_user, form.targets()),
                     done="SLA targets are saved. They apply to tickets opened from now on.",
                     back=admin_url("sla"), title="SLA targets", template="admin/sla.html")


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = SettingsForm(data={"ticket_prefix": settings_service.ticket_prefix(),
                              "autoclose_days": settings_service.autoclose_days()})

    def save():
        settings_service.save_settings(current_user, ticket_prefix=form.ticket_prefix.data,
                                autoclose_days=form.autoclose_days.data)
    return edit_page(form, save, done="Settings are saved.", back=admin_url("settings"),
                     title="Settings")
