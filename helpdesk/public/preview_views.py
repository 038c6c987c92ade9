"""The Markdown preview: the rendered fragment of what is being typed (static/js/markdown.js
asks for it; a POST, so CSRF-protected like every form)."""
from flask import request
from flask_login import login_required

from ..services.text.markdown import MAX_PREVIEW, render_markdown
from . import bp


@bp.post("/markdown/preview", endpoint="markdown_preview")
@login_required
def markdown_preview():
    """Images are not resolved (the files are not uploaded yet): they show as their names."""
    html = render_markdown((request.form.get("body") or "")[:MAX_PREVIEW])
    return html, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
