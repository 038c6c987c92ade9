"""Messages are Markdown (CommonMark through markdown-it-py), rendered here and nowhere
else, then sanitized by nh3: whatever the renderer lets through, the sanitizer's
allowlist has the last word.

- Raw HTML in the text is not HTML (markdown-it's `html` option is off: it shows as text).
- Links keep only http, https and mailto; `javascript:`, `data:` and other schemes are
  dropped (markdown-it refuses them first, nh3 again), and every link gets
  rel="noopener nofollow noreferrer".
- Images show only when they name one of the message's own attachments
  (`![](attachment:ID)` or `![](attachment:FILE-NAME)`), resolved by the caller to the
  permission-checked download route; any other image (a tracking pixel, a data URL)
  becomes its alt text.
- Old messages (format "text") render as before: escaped, line breaks kept by CSS.
"""
from collections.abc import Callable

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup, escape

TAGS = {"p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
        "a", "img", "h1", "h2", "h3", "h4", "h5", "h6"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "loading"},
              "ol": {"start"}, "code": {"class"}}
SCHEMES = {"http", "https", "mailto"}
MAX_RENDERED = 200_000  # characters of input rendered; the rest is cut (a body is ≤ 20,000)
MAX_PREVIEW = 20_000     # the longest message body

Resolver = Callable[[str], str | None]


def _render_image(self, tokens, idx, options, env):
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env)
    src = str(token.attrGet("src") or "")
    resolve = env.get("resolve")
    url = resolve(src) if resolve and src.lower().startswith("attachment:") else None
    if url is None:
        return escapeHtml(alt)
    return f'<img src="{escapeHtml(url)}" alt="{escapeHtml(alt)}" loading="lazy">'


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.add_render_rule("image", _render_image)
    return md


_MD = _parser()


def render_markdown(text: str | None, resolve: Resolver | None = None) -> Markup:
    """Markdown → sanitized HTML. `resolve("attachment:…")` gives the URL of an image the
    viewer may see, or None."""
    html = _MD.render((text or "")[:MAX_RENDERED], {"resolve": resolve})
    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES,
                      link_rel="noopener nofollow noreferrer", strip_comments=True)
    return Markup(f'<div class="md">{clean}</div>')  # noqa: S704 — sanitized by nh3 above


def render_text(text: str | None) -> Markup:
    """A message from before Markdown (or from mail): as it was written."""
    return escape(text or "")


def render(text: str | None, text_format: str | None, resolve: Resolver | None = None
           ) -> Markup:
    if text_format == "markdown":
        return render_markdown(text, resolve)
    return render_text(text)


def attachment_resolver(attachments, url_for_attachment: Callable) -> Resolver:
    """Images may name only these attachments (the message's own, already visible to
    the viewer), by id or by file name."""
    by_key: dict[str, object] = {}
    for file in attachments or ():
        if not str(getattr(file, "content_type", "")).startswith("image/"):
            continue
        by_key[f"attachment:{file.id}"] = file
        by_key.setdefault(f"attachment:{file.original_name}".lower(), file)

    def resolve(src: str) -> str | None:
        from urllib.parse import unquote
        file = by_key.get(src) or by_key.get(unquote(src).lower())
        return url_for_attachment(file) if file is not None else None
    return resolve
