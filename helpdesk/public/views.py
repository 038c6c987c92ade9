from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..models import Notification
from ..services import notifications
from ..services.catalog import faq as faq_service
from ..services.files import attachments
from ..web import paginate, parse_id, send_attachment
from . import bp


@bp.get("/")
def index():
    return render_template("public/index.html")


# --- FAQ -------------------------------------------------------------------------------

@bp.get("/faq")
def faq():
    category_id = parse_id(request.args.get("category"))
    q = request.args.get("q", "").strip()[:faq_service.SEARCH_MAX]
    groups = faq_service.published_groups(category_id=category_id, q=q)
    return render_template("public/faq.html", groups=groups, q=q, category_id=category_id,
                           categories=faq_service.categories_with_entries())


@bp.get("/faq/suggest")
def faq_suggestions():
    """An HTML fragment of FAQ entries matching `q` (the new-ticket subject as typed);
    static/js/app.js puts it under the field. Empty when nothing matches."""
    entries = faq_service.suggestions(request.args.get("q", ""))
    return render_template("public/_faq_suggestions.html", entries=entries)


# --- files -----------------------------------------------------------------------------

@bp.get("/files/<id:attachment_id>", endpoint="download")
@login_required
def download(attachment_id: int):
    """A file, for people who may see the message (or ticket) it belongs to; 404 for
    everyone else, also when it exists. A download, except `?inline=1` for the types a
    browser may show (raster images, PDF: web.INLINE_TYPES), sandboxed."""
    attachment = attachments.visible_attachment(current_user, attachment_id)
    if attachment is None:
        abort(404)
    return send_attachment(attachment, inline=request.args.get("inline") == "1")


# --- notifications ---------------------------------------------------------------------

@bp.get("/notifications", endpoint="notifications")
@login_required
def notifications_list():
    page = paginate(select(Notification).where(Notification.user_id == current_user.id)
                    .options(selectinload(Notification.ticket))
                    .order_by(Notification.created_at.desc(), Notification.id.desc()), 30)
    return render_template("public/notifications.html", page=page)


@bp.post("/notifications/read")
@login_required
def mark_notifications_read():
    notifications.mark_all_read(current_user)
    return redirect(url_for(".notifications"))
