from flask import redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Notification
from ..services import notifications
from . import bp


@bp.get("/")
def index():
    return render_template("public/index.html")


@bp.get("/faq")
def faq():
    return render_template("public/faq.html")


@bp.get("/notifications", endpoint="notifications")
@login_required
def notifications_list():
    page = db.paginate(select(Notification).where(Notification.user_id == current_user.id)
                       .options(selectinload(Notification.ticket))
                       .order_by(Notification.created_at.desc(), Notification.id.desc()),
                       per_page=30)
    return render_template("public/notifications.html", page=page)


@bp.post("/notifications/read")
@login_required
def mark_notifications_read():
    notifications.mark_all_read(current_user)
    return redirect(url_for(".notifications"))
