"""The dashboard's figure cells, built in Python: a table of hundreds of rows renders several
times faster than with an included template per row (bench/dashboard.py)."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from dashboard.progress import Status

register = template.Library()
DASH = "—"


def _n(value):
    return DASH if value is None else intcomma(value)


@register.simple_tag
def figure_cells(progress):
    """The cells after "KK count" of one row: target … status (see dashboard.html's header)."""
    pct = DASH if progress.persen_target is None else f"{intcomma(progress.persen_target)}%"
    bar = ""
    if progress.target:
        reached = " reached" if progress.is_reached else ""
        bar = format_html('<progress class="bar{}" max="100" value="{}">{}</progress>', reached, str(progress.bar_percent), pct)
    gained = progress.gained_7d
    reach = progress.reach_date
    reach_cell = (
        format_html('<span class="{}">{}</span>', "ok" if progress.reaches_in_time else "late", date_format(reach, "d-m-Y"))
        if reach else DASH
    )
    cells = [
        ("num", "target", _n(progress.target)),
        ("num", "kk_terwakili", _n(progress.kk_terwakili)),
        ("num", "anggota_kepala_keluarga", _n(progress.anggota_kepala_keluarga)),
        ("num", "anggota_aktif", _n(progress.anggota_aktif)),
        ("pct", "persen_target", format_html("{} {}", pct, bar)),
        ("num", "naik_7_hari", ("+" if gained > 0 else "") + intcomma(gained)),
        ("num", "perlu_per_minggu", _n(progress.weekly_pace_needed)),
        ("date", "perkiraan_tercapai", reach_cell),
    ]
    html = format_html_join("\n", '<td class="{}" data-figure="{}">{}</td>', cells)
    status = format_html(
        '<td><span class="status status-{}" data-status="{}">{}</span></td>', progress.status, progress.status, progress.status_label
    )
    return mark_safe(html + status)


def _rupiah(amount):
    return "Rp " + intcomma(amount)


def _pct(value):
    return DASH if value is None else f"{intcomma(value)}%"


@register.simple_tag
def capital_cells(capital):
    """The cells of one row of the capital table (see dashboard.html): simpanan pokok, wajib,
    active members, paid up this month, in arrears, RAT this year."""
    if capital.kelurahan == 1:
        rat = date_format(capital.rat_on, "d-m-Y") if capital.rat_on else DASH
    else:
        rat = f"{capital.rat_held} / {capital.kelurahan}"
    cells = [
        ("num", "simpanan_pokok", _rupiah(capital.pokok)),
        ("num", "simpanan_wajib", _rupiah(capital.wajib)),
        ("num", "anggota_aktif", intcomma(capital.aktif)),
        ("num", "lunas_bulan_ini", format_html("{} <small class=\"muted\">{}</small>", intcomma(capital.paid_up),
                                               _pct(capital.paid_up_percent))),
        ("num", "persen_menunggak", format_html("{} <small class=\"muted\">({})</small>", _pct(capital.arrears_percent),
                                                intcomma(capital.in_arrears))),
        ("date", "rat", rat),
    ]
    return format_html_join("\n", '<td class="{}" data-figure="{}">{}</td>', cells)


@register.filter
def status_label(status):
    """A stored status code (`tertinggal`) in words, for frozen reports."""
    return Status.LABELS.get(status, status)
