import io

from flask import abort, current_app, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from ..models import Notification
from ..services import notifications
from ..services.catalog import faq as faq_service
from ..services.files import attachments
from ..services.files.storage import validate_key
from ..web import paginate, parse_id
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
    everyone else, also when it exists. Always a download, never rendered inline."""
    attachment = attachments.visible_attachment(current_user, attachment_id)
    if attachment is None:
        abort(404)
    accel_prefix = current_app.config.get("ACCEL_REDIRECT_PREFIX")
    if accel_prefix and current_app.config.get("STORAGE_BACKEND", "local") == "local":
        return handed_to_nginx(attachment, accel_prefix)
    try:
        stream = attachments.storage().open(attachment.stored_name)
    except FileNotFoundError:
        abort(404)
    # Streamed from whichever backend holds it: the client never learns where that is.
    # The row knows the size and hash, so no backend has to be asked for them.
    response = send_file(stream, as_attachment=True, download_name=attachment.original_name,
                         mimetype=attachment.content_type, max_age=0, conditional=False,
                         etag=attachment.sha256, last_modified=attachment.created_at)
    response.content_length = attachment.size
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    try:  # If-None-Match (304) and Range (206), as send_file does for a path
        return response.make_conditional(request, accept_ranges=True,
                                         complete_length=attachment.size)
    except RequestedRangeNotSatisfiable:
        response.close()
        raise


def handed_to_nginx(attachment, prefix: str):
    """The permission check is done; nginx sends the bytes from the upload folder (an
    `internal` location, deploy/nginx.conf) and answers ranges and revalidation itself.
    The headers here (type, attachment name, private caching) are the ones it keeps."""
    response = send_file(io.BytesIO(), as_attachment=True, mimetype=attachment.content_type,
                         download_name=attachment.original_name, max_age=0,
                         conditional=False, etag=False)
    response.headers["X-Accel-Redirect"] = (prefix.rstrip("/") + "/"
                                            + validate_key(attachment.stored_name))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    return response


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
