"""Reading the FAQ: published entries, grouped by category, searched, suggested.

Editing the FAQ belongs to the admin console; this module only reads.
"""
import re
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import Category, FaqEntry
from ..matching import contains_pattern

SEARCH_MAX = 100
SUGGESTION_LIMIT = 5
# Words too common to say anything about what a question is about.
STOP_WORDS = frozenset("""
a an and are at be but by can do does for from has have how i if in is it its me my no
not of on or our so that the this to was we what when where which who why will with you
your please help hello hi follow
""".split())


@dataclass
class FaqGroup:
    """One heading of the FAQ page: a category (None: uncategorised) and its entries."""
    category: Category | None
    entries: list[FaqEntry] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.category.name if self.category else "Other questions"


def _published():
    return select(FaqEntry).where(FaqEntry.published.is_(True))


def _matches(word: str):
    pattern = contains_pattern(word)
    return or_(FaqEntry.question.ilike(pattern, escape="\\"),
               FaqEntry.answer.ilike(pattern, escape="\\"))


def _words(text: str | None) -> list[str]:
    return (text or "").strip()[:SEARCH_MAX].split()


def categories_with_entries() -> list[Category]:
    """The categories that have published entries, for the FAQ's category filter."""
    query = (select(Category).where(Category.id.in_(
        select(FaqEntry.category_id).where(FaqEntry.published.is_(True))))
        .order_by(Category.position, Category.name))
    return list(db.session.scalars(query))


def published_groups(*, category_id: int | None = None, q: str | None = None) -> list[FaqGroup]:
    """Published entries grouped by category (in the categories' order). `q`: every
    word must appear in the question or the answer."""
    query = _published().options(selectinload(FaqEntry.category))
    if category_id is not None:
        query = query.where(FaqEntry.category_id == category_id)
    words = _words(q)
    if words:
        query = query.where(and_(*(_matches(word) for word in words)))
    groups: dict[int | None, FaqGroup] = {}
    for entry in db.session.scalars(query.order_by(FaqEntry.position, FaqEntry.id)):
        groups.setdefault(entry.category_id, FaqGroup(entry.category)).entries.append(entry)

    def order(group: FaqGroup):
        if group.category is None:
            return (1, 0, "")
        return (0, group.category.position, group.category.name)
    return sorted(groups.values(), key=order)


def keywords(text: str | None) -> list[str]:
    """The words of a subject worth looking up: letters only (ticket and order numbers say
    nothing about the topic), no stop words, no one- or two-letter bits, no duplicates."""
    seen: list[str] = []
    for word in re.findall(r"[^\W\d_]+", (text or "")[:SEARCH_MAX].lower()):
        if len(word) >= 3 and word not in STOP_WORDS and word not in seen:
            seen.append(word)
    return seen[:8]


def suggestions(text: str | None, limit: int = SUGGESTION_LIMIT) -> list[FaqEntry]:
    """Published entries that match the words of a ticket subject as it is typed, best
    first: the more words they share (a match in the question counts double)."""
    words = keywords(text)
    if not words:
        return []
    candidates = db.session.scalars(
        _published().where(or_(*(_matches(word) for word in words)))
        .order_by(FaqEntry.position, FaqEntry.id).limit(50))

    def score(entry: FaqEntry) -> int:
        question, answer = entry.question.lower(), entry.answer.lower()
        return sum(2 * (word in question) + (word in answer) for word in words)
    ranked = sorted(candidates, key=score, reverse=True)
    return ranked[:limit]
