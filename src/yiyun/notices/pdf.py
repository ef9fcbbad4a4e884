"""PDF letters (written contract notices) and delivery proofs, rendered with WeasyPrint and
Debian's Noto CJK fonts. The HTML here is for the PDF renderer only, never a web page."""

from __future__ import annotations

from datetime import datetime

from django.template.loader import render_to_string
from django.utils import translation

from yiyun.core import clock
from yiyun.notices.choices import LETTER_CLAUSE, LetterKind


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def letter_reference(notice) -> str:
    """The letter's number (文号): sender's short name, year, the notice's number."""
    organisation = notice.organisation
    prefix = organisation.short_name or "YY"
    return f"{prefix}-{clock.local(clock.now()):%Y}-{notice.pk:05d}"


def letter_pdf(*, notice, reference: str, addressee, at: datetime) -> bytes:
    """The letter as the other party receives it: the contract header, the notice, the clause."""
    letter_kind = LetterKind(notice.letter_kind)
    with translation.override("zh-hans"):
        html = render_to_string(
            "notices/pdf/letter.html",
            {
                "notice": notice,
                "contract": notice.contract,
                "reference": reference,
                "addressee": addressee,
                "title": letter_kind.label,
                "clause": LETTER_CLAUSE[letter_kind],
                "date": clock.local(at),
            },
        )
    return render_pdf(html)


def proof_pdf(*, notice, deliveries, recipients, at: datetime) -> bytes:
    """The delivery proof (4.5): what was sent, to whom, when, on which channel, with hashes."""
    with translation.override("zh-hans"):
        html = render_to_string(
            "notices/pdf/proof.html",
            {
                "notice": notice,
                "letter": getattr(notice, "letter", None),
                "deliveries": deliveries,
                "recipients": recipients,
                "generated_at": clock.local(at),
            },
        )
    return render_pdf(html)
