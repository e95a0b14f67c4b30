"""The dashboard's figure cells, built in Python: a table of hundreds of rows renders several
times faster than with an included template per row (bench/dashboard.py)."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.formats import get_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from dashboard.progress import Status

register = template.Library()
DASH = "—"


def _int(value):
    """`intcomma` for an int, without its per-call locale work (a national page has ~2,000
    figures): grouped by three with the active language's separator (Indonesian `.`)."""
    if type(value) is int:
        return f"{value:,}".replace(",", get_format("THOUSAND_SEPARATOR"))
    return intcomma(value)


def _n(value):
    return DASH if value is None else _int(value)


def _cells(cells):
    """`<td>`s from (class, figure, content): class and figure are this module's words, content
    our own digits or already-escaped HTML, so no escaping per cell."""
    return "\n".join(f'<td class="{css}" data-figure="{name}">{content}</td>' for css, name, content in cells)


@register.simple_tag
def figure_cells(progress):
    """The cells after "KK count" of one row: target … status (see dashboard.html's header)."""
    pct = DASH if progress.persen_target is None else f"{_int(progress.persen_target)}%"
    bar = ""
    if progress.target:
        reached = " reached" if progress.is_reached else ""
        bar = f'<progress class="bar{reached}" max="100" value="{progress.bar_percent}">{pct}</progress>'
    gained = progress.gained_7d
    reach = progress.reach_date
    reach_cell = (
        f'<span class="{"ok" if progress.reaches_in_time else "late"}">{date_format(reach, "d-m-Y")}</span>'
        if reach else DASH
    )
    cells = [
        ("num", "target", _n(progress.target)),
        ("num", "kk_terwakili", _n(progress.kk_terwakili)),
        ("num", "anggota_kepala_keluarga", _n(progress.anggota_kepala_keluarga)),
        ("num", "anggota_aktif", _n(progress.anggota_aktif)),
        ("pct", "persen_target", f"{pct} {bar}"),
        ("num", "naik_7_hari", ("+" if gained > 0 else "") + _int(gained)),
        ("num", "perlu_per_minggu", _n(progress.weekly_pace_needed)),
        ("date", "perkiraan_tercapai", reach_cell),
    ]
    html = _cells(cells)
    status = format_html(
        '<td><span class="status status-{}" data-status="{}">{}</span></td>', progress.status, progress.status, progress.status_label
    )
    return mark_safe(html + status)


def _rupiah(amount):
    return "Rp " + _int(amount)


def _pct(value):
    return DASH if value is None else f"{_int(value)}%"


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
        ("num", "anggota_aktif", _int(capital.aktif)),
        ("num", "lunas_bulan_ini", f'{_int(capital.paid_up)} <small class="muted">{_pct(capital.paid_up_percent)}</small>'),
        ("num", "persen_menunggak", f'{_pct(capital.arrears_percent)} <small class="muted">({_int(capital.in_arrears)})</small>'),
        ("date", "rat", conditional_escape(rat)),
    ]
    return mark_safe(_cells(cells))


@register.filter
def status_label(status):
    """A stored status code (`tertinggal`) in words, for frozen reports."""
    return Status.LABELS.get(status, status)


def _blocktrans(message, **values):
    """`{% blocktranslate with … %}` in Python: the same msgid (`%(name)s`, a literal `%%`),
    the values already escaped or our own digits."""
    return conditional_escape(gettext(message)) % values


@register.simple_tag
def kelurahan_card(kel, progress):
    """One kelurahan's card on a phone (issue 21; see _cards.html): built in Python, as the
    table's cells are, since 158 cards of a kabupaten/kota took half the page's rendering as
    template tags and filters per card (bench/dashboard.py)."""
    name = conditional_escape(kel.nama)
    pct = None if progress.persen_target is None else _int(progress.persen_target)
    bar = ""
    if progress.target:
        reached = " reached" if progress.is_reached else ""
        label = _blocktrans("%(name)s: share of the target", name=name)
        bar = f'<progress class="bar{reached}" max="100" value="{progress.bar_percent}" aria-label="{label}">{pct}%</progress>'
    share = DASH if pct is None else _blocktrans("%(pct)s%% of target", pct=pct)
    capital = progress.capital
    arrears = ""
    if capital.arrears_percent is not None:
        arrears = f'<span data-figure="persen_menunggak">{_blocktrans("%(pct)s%% in arrears", pct=_int(capital.arrears_percent))}</span>'
    if capital.rat_on:
        rat = _blocktrans("RAT %(day)s", day=date_format(capital.rat_on, "d-m-Y"))
    else:
        rat = conditional_escape(gettext("no RAT this year"))
    status = progress.status
    return mark_safe(f"""<li class="kel-card" data-card="{conditional_escape(kel.kode)}" data-status="{status}">
      <a href="{reverse("dashboard:kelurahan_detail", args=[kel.pk])}">
        <strong class="kel-name">{name}</strong>
        {bar}
        <p>
          <span data-figure="persen_target">{share}</span>
          <span class="status status-{status}">{conditional_escape(progress.status_label)}</span>
          <span data-figure="naik_7_hari">{_blocktrans("+%(n)s KK this week", n=_int(progress.gained_7d))}</span>
        </p>
        <p class="muted"><span data-figure="simpanan">{_blocktrans("simpanan Rp %(rp)s", rp=_int(capital.collected))}</span>
          {arrears}
          <span data-figure="rat">{rat}</span></p>
        <p class="muted"><span data-figure="kk_terwakili">{_blocktrans("%(kk)s of %(target)s KK", kk=_int(progress.kk_terwakili), target=_n(progress.target))}</span></p>
      </a>
    </li>""")


@register.simple_tag
def kelurahan_head(kel, progress):
    """A table row's first cells: the kelurahan (linked, with its code) and its KK count with
    date and source; in Python for the same reason as `kelurahan_card`."""
    link = reverse("dashboard:kelurahan_detail", args=[kel.pk])
    if progress.has_count:
        source = f" · {conditional_escape(kel.sumber)}" if kel.sumber else ""
        day = date_format(kel.per_tanggal, "d-m-Y") if kel.per_tanggal else ""
        count = f'{_int(progress.jumlah_kk)}<small class="muted source"> {day}{source}</small>'
    else:
        count = f'<span class="muted">{conditional_escape(gettext("no data"))}</span>'
    return mark_safe(
        f'<th scope="row"><a href="{link}">{conditional_escape(kel.nama)}</a> <small class="muted">{conditional_escape(kel.kode)}</small></th>\n'
        f'      <td class="num" data-figure="jumlah_kk">{count}</td>'
    )
