"""The learning record as a PDF for professional registration (issue 13), made with fpdf2.

fpdf2 was chosen over ReportLab: it is pure Python (no compiler, nothing native to install), small, well
kept (frequent releases), embeds Unicode TrueType fonts (names, curly quotes) and is enough for a text
document like this one; its LGPL-3.0 licence allows using it unmodified as a dependency. The font is
DejaVu Sans as shipped inside matplotlib (already a dependency for charts), so nothing extra is bundled."""

import os
from datetime import datetime, time, timezone
from importlib.util import find_spec

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from digests.learning_record import RECORD_NOTE, LearningRecord, reflective_account


def _matplotlib_fonts() -> str:
    """matplotlib's own font folder, found without importing matplotlib (slow to import)."""
    spec = find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib (a dependency) is not installed: its DejaVu fonts are used for the PDF")
    return os.path.join(list(spec.submodule_search_locations)[0], "mpl-data", "fonts", "ttf")


FONT_DIR = _matplotlib_fonts()
FONT = "DejaVu"


class _RecordPdf(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110)
        self.cell(0, 6, f"LessonLoop learning record · page {self.page_no()}/{{nb}}", align="C")


def _line(pdf: FPDF, text: str, *, size: float = 10, bold: bool = False, height: float = 5.2, gap: float = 0) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, height, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if gap:
        pdf.ln(gap)


def record_pdf(record: LearningRecord) -> bytes:
    """The whole record: a cover summary, then one reflective account per lesson. Same record, same bytes."""
    pdf = _RecordPdf(format="A4")
    pdf.add_font(FONT, "", os.path.join(FONT_DIR, "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf"))
    pdf.set_creation_date(datetime.combine(record.made_on, time(0), tzinfo=timezone.utc))
    pdf.set_title(f"Learning record: {record.name}")
    pdf.set_author(record.name)
    pdf.set_creator("LessonLoop")
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    _line(pdf, "Learning record", size=18, bold=True, height=9)
    _line(pdf, f"{record.name} · {record.role} · made on {record.made_on:%-d %B %Y}", size=11, gap=2)
    _line(
        pdf,
        f"{len(record.entries)} lessons received, {record.answered} answered, {record.tried} tried in practice "
        "(from follow-ups).",
        gap=2,
    )
    _line(
        pdf,
        "Each entry below is written as a reflective account (what happened, what I learned, how it changed my "
        "practice, which standard it relates to), for a Social Work England CPD record or an NMC written "
        "reflective account for revalidation.",
        size=9,
        gap=2,
    )
    _line(pdf, RECORD_NOTE, size=9, gap=4)
    if not record.entries:
        _line(pdf, "No lessons yet: your first one is on its way.")
    for number, entry in enumerate(record.entries, 1):
        if pdf.get_y() > pdf.h - 70:
            pdf.add_page()
        heading = f"{number}. {entry.title}" + (" (revisited)" if entry.is_review else "")
        _line(pdf, heading, size=12, bold=True, height=6.5)
        _line(pdf, f"{entry.sent_on:%-d %B %Y} · {entry.theme}", size=9, gap=1)
        for part, text in reflective_account(entry):
            _line(pdf, part, size=10, bold=True)
            _line(pdf, text, gap=1.5)
        pdf.ln(3)
    return bytes(pdf.output())
