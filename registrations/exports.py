"""Registrants for the organizers: spreadsheets (CSV, XLSX) and name badges (PDF).

Spreadsheets are written as the member directory's are (members/spreadsheets.py):
a byte-order mark for Excel, and no cell a spreadsheet would run as a formula.
"""

import functools
import io
from pathlib import Path

import tablib
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from members.spreadsheets import SafeCSV, SafeXLSX

from .emails import ticket_png
from .models import Question

COLUMNS = [
    ("event", lambda r: r.event.slug),
    ("status", lambda r: r.status),
    ("name", lambda r: r.name),
    ("email", lambda r: r.email),
    ("organization", lambda r: r.organization),
    ("title", lambda r: r.title),
    ("phone", lambda r: r.phone),
    ("country", lambda r: r.country.code or ""),
    ("language", lambda r: r.language),
    ("member", lambda r: r.member.slug if r.member else ""),
    ("registered_at", lambda r: _time(r.created_at)),
    ("checked_in_at", lambda r: _time(r.checked_in_at)),
]


def _time(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def registrations_dataset(queryset):
    """Registrants and attendance, a row each, with the answers to the events' own questions."""
    registrations = list(
        queryset.select_related("event", "member").order_by("event", "created_at", "pk")
    )
    questions = list(
        Question.objects.filter(
            settings__event__in={r.event_id for r in registrations}
        ).order_by("settings", "order", "pk")
    )
    dataset = tablib.Dataset(
        headers=[name for name, _value in COLUMNS]
        + [f"q{question.pk}: {question.label}" for question in questions],
        title="registrations",
    )
    for registration in registrations:
        dataset.append(
            [value(registration) for _name, value in COLUMNS]
            + [
                str(registration.answers.get(str(question.pk), ""))
                for question in questions
            ]
        )
    return dataset


def registrations_csv(queryset):
    return SafeCSV().export_data(registrations_dataset(queryset))


def registrations_xlsx(queryset):
    return SafeXLSX().export_data(registrations_dataset(queryset))


# --- Badges -------------------------------------------------------------------

# An A4 sheet of 2 x 4 labels of 99.1 x 67.7 mm (Avery L7165 and its kind).
PAGE_WIDTH, PAGE_HEIGHT = 210, 297
COLUMNS_PER_SHEET, ROWS_PER_SHEET = 2, 4
LABEL_WIDTH, LABEL_HEIGHT = 99.1, 67.7
MARGIN_LEFT = (PAGE_WIDTH - COLUMNS_PER_SHEET * LABEL_WIDTH) / 2
MARGIN_TOP = (PAGE_HEIGHT - ROWS_PER_SHEET * LABEL_HEIGHT) / 2
PADDING = 5
QR_SIZE = 24


@functools.lru_cache(maxsize=1)
def _font_path():
    path = Path(settings.BADGE_FONT)
    if not path.exists():
        raise FileNotFoundError(
            f"The badge font {path} is missing: install fonts-noto-cjk or set BADGE_FONT."
        )
    return path


def _fit(pdf, text, width, sizes, lines=1):
    """The largest of `sizes` (points) at which `text` takes at most `lines` lines of `width` mm.

    No word may be wider than a line (it would be cut in two); the smallest
    size is the answer when none fits.
    """
    for size in sizes:
        pdf.set_font_size(size)
        if max(pdf.get_string_width(word) for word in text.split()) > width:
            continue
        wrapped = pdf.multi_cell(width, 5, text, dry_run=True, output="LINES")
        if len(wrapped) <= lines:
            return size
    return sizes[-1]


def badges_pdf(queryset):
    """Name badges, eight to an A4 sheet: name, organization and title, and the ticket's QR code.

    Names in Chinese and in Latin letters alike are set in Noto Sans CJK,
    which covers both; the PDF embeds only the letters it uses.
    """
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    font = _font_path()
    options = {"collection_font_number": 2} if font.suffix.lower() == ".ttc" else {}
    pdf.add_font("badge", "", str(font), **options)
    pdf.set_font("badge", size=12)
    pdf.set_title(_("Name badges"))
    # Name, organization and title across the label; the QR code and the
    # event's name share its foot.
    text_width = LABEL_WIDTH - 2 * PADDING
    foot_width = LABEL_WIDTH - 3 * PADDING - QR_SIZE
    per_sheet = COLUMNS_PER_SHEET * ROWS_PER_SHEET
    registrations = list(
        queryset.filter(anonymized_at__isnull=True)
        .select_related("event")
        .order_by("name", "pk")
    )
    for index, registration in enumerate(registrations):
        place = index % per_sheet
        if place == 0:
            pdf.add_page()
        x = MARGIN_LEFT + (place % COLUMNS_PER_SHEET) * LABEL_WIDTH
        y = MARGIN_TOP + (place // COLUMNS_PER_SHEET) * LABEL_HEIGHT
        pdf.set_xy(x + PADDING, y + PADDING)
        pdf.set_text_color(7, 38, 70)
        size = _fit(pdf, registration.name, text_width, (24, 20, 16, 13), lines=2)
        pdf.multi_cell(text_width, size * 0.42, registration.name)
        pdf.set_text_color(60, 70, 80)
        for line, sizes in (
            (registration.organization, (12, 10, 9, 8)),
            (registration.title, (11, 9, 8)),
        ):
            if line:
                pdf.set_x(x + PADDING)
                size = _fit(pdf, line, text_width, sizes)
                pdf.multi_cell(text_width, size * 0.45, line)
        pdf.set_font_size(8)
        pdf.set_xy(x + PADDING, y + LABEL_HEIGHT - PADDING - 5)
        pdf.cell(foot_width, 5, registration.event.name)
        pdf.image(
            _png_stream(registration.ticket_token),
            x=x + LABEL_WIDTH - PADDING - QR_SIZE,
            y=y + LABEL_HEIGHT - PADDING - QR_SIZE,
            w=QR_SIZE,
            h=QR_SIZE,
        )
    if not registrations:
        pdf.add_page()
    return bytes(pdf.output())


def _png_stream(token):
    return io.BytesIO(ticket_png(token))
