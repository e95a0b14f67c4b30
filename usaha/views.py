"""A cooperative's business units: thin views over `usaha.services` (the ledger), `usaha.reports`
(the daily book, logbook, reports, dossier) and `usaha.shu` (docs/usaha.md).

Every reader of the kelurahan (`Kelurahan.objects.for_user`: its officers, DKUMKMP reviewers)
reads its units, receipts and reports; only its officers with the usaha permission
(`BusinessUnit.objects.kept_by`) record. Out of scope is a 404, recorded as denied."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from audit.models import AuditEvent, record
from kelurahan.models import Kelurahan
from kkmp.downloads import CONTENT_TYPES, attachment, download_name
from kkmp.masking import mask
from koperasi.meeting_forms import PhotoLimitHandler
from koperasi.models import Meeting
from koperasi.qr_photo import PHOTO_MAX_BYTES
from koperasi.terbilang import rupiah_words
from members.views import _kelurahan_or_404, can_see_full_numbers

from . import reports, services, shu
from .forms import (
    CorrectionForm,
    CountForm,
    DeliveryForm,
    ProductForm,
    SaleForm,
    ShuDecisionForm,
    ShuRuleForm,
    ShuYearForm,
    UnitForm,
)
from .models import BusinessUnit, Het, Product, ShuYear, StockEntry

LOGBOOK_PAGE = 100


def _denied(request, kind, pk):
    record(AuditEvent.Action.DENIED, request=request, object_type=kind, object_id=pk, path=request.path)
    raise Http404


def _unit_or_404(request, pk, *, keep=False):
    scope = BusinessUnit.objects.kept_by(request.user) if keep else BusinessUnit.objects.for_user(request.user)
    unit = scope.select_related("kelurahan__kecamatan").filter(pk=pk).first()
    if unit is None:
        if BusinessUnit.objects.filter(pk=pk).exists():
            _denied(request, "business_unit", pk)
        raise Http404
    return unit


def _may_keep(request, kelurahan):
    return request.user.has_perm("usaha.keep_business") and Kelurahan.objects.managed_by(request.user).filter(
        pk=kelurahan.pk).exists()


def _kept_kelurahan_or_404(request, pk):
    kelurahan = _kelurahan_or_404(request, pk, managed=True)
    if not request.user.has_perm("usaha.keep_business"):
        _denied(request, "kelurahan", pk)
    return kelurahan


def _year(request):
    try:
        year = int(request.GET.get("tahun", ""))
    except ValueError:
        year = timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


def _xlsx(content, *parts):
    return attachment(content, content_type=CONTENT_TYPES["xlsx"], filename=download_name(*parts, extension="xlsx"))


# --- Units and products ---------------------------------------------------------------------

@login_required
def unit_list(request, pk):
    """The cooperative's business units; its officers add one here."""
    kelurahan = _kelurahan_or_404(request, pk)
    may_keep = _may_keep(request, kelurahan)
    form = None
    if may_keep:
        form = UnitForm(request.POST or None, initial={"started_on": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            unit = form.save(commit=False)
            unit.kelurahan = kelurahan
            if BusinessUnit.objects.filter(kelurahan=kelurahan, name=unit.name).exists():
                form.add_error("name", _("This cooperative already has a unit of that name."))
            else:
                unit.save()
                messages.success(request, _("Business unit %(name)s added.") % {"name": unit.name})
                return redirect(unit)
    elif request.method == "POST":
        _denied(request, "kelurahan", pk)
    return render(request, "usaha/unit_list.html", {
        "kelurahan": kelurahan, "units": kelurahan.business_units.order_by("name"), "form": form})


@login_required
def unit_detail(request, pk):
    """A unit: its products with stock and prices, the year's figures, what to do next."""
    unit = _unit_or_404(request, pk)
    year = timezone.localdate().year
    return render(request, "usaha/unit_detail.html", {
        "unit": unit, "products": unit.products.order_by("name"), "figures": reports.year_figures(unit, year), "year": year,
        "may_keep": _may_keep(request, unit.kelurahan),
        "het": Het.in_force(unit.kelurahan.kecamatan.kabupaten_kota_id, timezone.localdate()) if unit.is_lpg else None,
    })


@login_required
def unit_edit(request, pk):
    """Change a unit: its name, supplier, household limit, running or not."""
    unit = _unit_or_404(request, pk, keep=True)
    form = UnitForm(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        if BusinessUnit.objects.filter(kelurahan=unit.kelurahan, name=form.cleaned_data["name"]).exclude(pk=unit.pk).exists():
            form.add_error("name", _("This cooperative already has a unit of that name."))
        else:
            form.save()
            messages.success(request, _("Business unit %(name)s saved.") % {"name": unit.name})
            return redirect(unit)
    return render(request, "usaha/unit_form.html", {"form": form, "unit": unit})


def _product_form(request, unit, instance=None):
    het = Het.in_force(unit.kelurahan.kecamatan.kabupaten_kota_id, timezone.localdate())
    form = ProductForm(request.POST or None, instance=instance, het=het,
                       initial={} if instance else {"is_lpg_3kg": unit.is_lpg, "unit_label": "tabung" if unit.is_lpg else "pcs"})
    if request.method == "POST" and form.is_valid():
        product = form.save(commit=False)
        product.unit = unit
        if Product.objects.filter(unit=unit, name=product.name).exclude(pk=product.pk).exists():
            form.add_error("name", _("This unit already sells a product of that name."))
        else:
            product.save()
            messages.success(request, _("Product %(name)s saved.") % {"name": product.name})
            return redirect(unit)
    return render(request, "usaha/product_form.html", {"form": form, "unit": unit, "het": het, "product": instance})


@login_required
def product_create(request, pk):
    return _product_form(request, _unit_or_404(request, pk, keep=True))


@login_required
def product_edit(request, pk):
    product = Product.objects.filter(unit__in=BusinessUnit.objects.kept_by(request.user), pk=pk).first()
    if product is None:
        if Product.objects.filter(pk=pk).exists():
            _denied(request, "product", pk)
        raise Http404
    return _product_form(request, _unit_or_404(request, product.unit_id, keep=True), instance=product)


# --- The ledger -----------------------------------------------------------------------------

def _already(request, exc):
    messages.info(request, exc.messages[0])
    return redirect(exc.entry)


@csrf_exempt
@login_required
def sale(request, pk):
    """Record a sale: the product, the buyer (typed, scanned or a photo of the card), the
    quantity. The photo's size is watched while it arrives (`PhotoLimitHandler`), installed
    before the request is parsed: hence CSRF is checked by `_sale` once that is done."""
    limit = PhotoLimitHandler(request)
    request.upload_handlers.insert(0, limit)
    return _sale(request, pk, limit)


@csrf_protect
def _sale(request, pk, limit):
    unit = _unit_or_404(request, pk, keep=True)
    form = SaleForm(request.POST or None, request.FILES or None, unit=unit, too_large=limit.too_large)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.record_sale(unit=unit, product=data["product"], quantity=data["quantity"], buyer=data["buyer"],
                                         by=request.user, form_key=data["form_key"])
        except services.AlreadyRecorded as exc:
            return _already(request, exc)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Sale recorded: receipt %(number)s.") % {"number": entry.receipt_number})
            return redirect(entry)
    return render(request, "usaha/sale_form.html", {"form": form, "unit": unit, "photo_max_mb": PHOTO_MAX_BYTES // 2**20})


def _ledger_form(request, pk, form_class, write, heading, done):
    unit = _unit_or_404(request, pk, keep=True)
    form = form_class(request.POST or None, unit=unit)
    if request.method == "POST" and form.is_valid():
        try:
            entry = write(unit=unit, by=request.user, **form.cleaned_data)
        except services.AlreadyRecorded as exc:
            return _already(request, exc)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, done % {"number": entry.receipt_number})
            return redirect(entry)
    return render(request, "usaha/entry_form.html", {"form": form, "unit": unit, "heading": heading})


@login_required
def delivery(request, pk):
    """Stock in: a delivery with its note number, quantity and cost (and empties out for LPG)."""
    return _ledger_form(request, pk, DeliveryForm, services.record_delivery, _("Delivery in"),
                        _("Delivery recorded: %(number)s."))


@login_required
def stock_count(request, pk):
    """A stock count (opname): what was counted, and the reason for a difference."""
    return _ledger_form(request, pk, CountForm, services.record_count, _("Stock count"),
                        _("Stock count recorded: %(number)s."))


def _entry_or_404(request, queryset, pk):
    entry = queryset.select_related("unit__kelurahan__kecamatan", "product", "member", "recorded_by", "reverses").filter(
        pk=pk).first()
    if entry is None:
        if StockEntry.objects.filter(pk=pk).exists():
            _denied(request, "stock_entry", pk)
        raise Http404
    return entry


@login_required
def receipt(request, pk):
    """The receipt (nota) of a sale, or the note of a delivery, count or correction."""
    entry = _entry_or_404(request, StockEntry.objects.for_user(request.user), pk)
    show_full = can_see_full_numbers(request.user, entry.kelurahan_id)
    correction = StockEntry.objects.filter(reverses=entry).first()
    return render(request, "usaha/receipt.html", {
        "entry": entry, "unit": entry.unit, "words": rupiah_words(abs(entry.amount)) if entry.amount else "",
        "nik": entry.buyer_nik if show_full else mask(entry.buyer_nik), "correction": correction,
        "can_correct": (not entry.is_correction and correction is None and _may_keep(request, entry.unit.kelurahan)),
    })


@login_required
def correction(request, pk):
    entry = _entry_or_404(request, StockEntry.objects.filter(unit__in=BusinessUnit.objects.kept_by(request.user)), pk)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reversal = services.reverse_entry(entry=entry, reason=form.cleaned_data["reason"], by=request.user,
                                              form_key=form.cleaned_data["form_key"])
        except services.AlreadyRecorded as exc:
            return _already(request, exc)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Receipt %(number)s is corrected by %(correction)s.")
                             % {"number": entry.receipt_number, "correction": reversal.receipt_number})
            return redirect(reversal)
    return render(request, "usaha/correction_form.html", {"form": form, "entry": entry})


# --- Reports --------------------------------------------------------------------------------

@login_required
def daily_book(request, pk):
    """The daily book of one product for a month: opening + in − out ± adjusted = closing."""
    unit = _unit_or_404(request, pk)
    products = list(unit.products.order_by("name"))
    product = next((p for p in products if str(p.pk) == request.GET.get("produk")), products[0] if products else None)
    month = reports.parse_month(request.GET.get("bulan"))
    return render(request, "usaha/daily_book.html", {
        "unit": unit, "products": products, "product": product, "month": month,
        "days": reports.daily_book(product, month) if product else [],
    })


@login_required
def logbook(request, pk):
    """The month's LPG 3 kg logbook: sales per day per NIK (masked for who may not see them)."""
    unit = _unit_or_404(request, pk)
    month = reports.parse_month(request.GET.get("bulan"))
    show_full = can_see_full_numbers(request.user, unit.kelurahan_id)
    sales = reports.logbook_sales(unit, month)
    page = Paginator(reports.logbook_rows(sales), LOGBOOK_PAGE).get_page(request.GET.get("halaman"))
    days = reports.logbook_days(sales)
    return render(request, "usaha/logbook.html", {
        "unit": unit, "month": month, "page": page, "rows": list(reports.masked_rows(page.object_list, show_full)),
        "days": days, "total": sum(c for _d, (c, _b) in days), "show_full": show_full,
    })


@login_required
def logbook_xlsx(request, pk):
    unit = _unit_or_404(request, pk)
    month = reports.parse_month(request.GET.get("bulan"))
    show_full = can_see_full_numbers(request.user, unit.kelurahan_id)
    record(AuditEvent.Action.EXPORT, request=request, object_type="business_unit", object_id=unit.pk, path=request.path,
           full_numbers=show_full)
    return _xlsx(reports.logbook_xlsx(unit, month, show_full=show_full), "logbook-lpg", unit.kelurahan.nama,
                 month.strftime("%Y-%m"))


@login_required
def member_sales(request, pk):
    """The year's sales per member and the share of the turnover sold to members."""
    unit = _unit_or_404(request, pk)
    year = _year(request)
    page = Paginator(reports.member_sales(unit, year), 50).get_page(request.GET.get("halaman"))
    return render(request, "usaha/member_sales.html", {
        "unit": unit, "year": year, "page": page, "figures": reports.year_figures(unit, year)})


@login_required
def member_sales_xlsx(request, pk):
    unit = _unit_or_404(request, pk)
    year = _year(request)
    record(AuditEvent.Action.EXPORT, request=request, obj=unit, what="sales per member", format="xlsx", year=year)
    return _xlsx(reports.member_sales_xlsx(unit, year), "penjualan-anggota", unit.name, year)


# --- SHU ------------------------------------------------------------------------------------

def _shu_context(request, kelurahan, year, **forms):
    shu_year = ShuYear.objects.filter(kelurahan=kelurahan, year=year).select_related("meeting").first()
    shares = list(shu_year.shares.select_related("member").order_by("member__member_seq")) if shu_year else []
    rule = shu.rule_of(kelurahan)
    may_keep = _may_keep(request, kelurahan)
    meetings = Meeting.objects.filter(kelurahan=kelurahan, kind=Meeting.Kind.RAT).order_by("-held_on")
    return {
        "kelurahan": kelurahan, "year": year, "shu": shu_year, "shares": shares, "rule": rule, "may_keep": may_keep,
        "margin": shu.margin_of(kelurahan, year),
        "allocation": [
            (rule._meta.get_field(name).verbose_name, getattr(rule, name), (shu_year.allocation or {}).get(name, 0)
             if shu_year else 0) for name in rule.SHARES],
        "rule_form": forms.get("rule_form") or ShuRuleForm(instance=rule),
        "year_form": forms.get("year_form") or ShuYearForm(initial={"other_costs": shu_year.other_costs if shu_year else 0}),
        "decision_form": forms.get("decision_form") or ShuDecisionForm(meetings=meetings),
        "shares_total": sum(s.total for s in shares),
    }


@login_required
def shu_year(request, pk):
    """The year's SHU: the rule, the result and its allocation, the members' shares; the
    officers calculate, record the RAT's decision and pay (POST, `action`)."""
    kelurahan = _kelurahan_or_404(request, pk)
    year = _year(request)
    if request.method != "POST":
        return render(request, "usaha/shu.html", _shu_context(request, kelurahan, year))
    kelurahan = _kept_kelurahan_or_404(request, pk)
    action, forms = request.POST.get("action"), {}
    try:
        if action == "rule":
            form = ShuRuleForm(request.POST, instance=shu.rule_of(kelurahan))
            forms["rule_form"] = form
            if form.is_valid():
                form.save()
                messages.success(request, _("The SHU rule is saved."))
                return redirect(f"{request.path}?tahun={year}")
        elif action == "calculate":
            form = ShuYearForm(request.POST)
            forms["year_form"] = form
            if form.is_valid():
                shu.calculate(kelurahan=kelurahan, year=year, other_costs=form.cleaned_data["other_costs"])
                messages.success(request, _("The SHU of %(year)d is calculated.") % {"year": year})
                return redirect(f"{request.path}?tahun={year}")
        elif action in ("decide", "pay"):
            shu_row = ShuYear.objects.filter(kelurahan=kelurahan, year=year).first()
            if shu_row is None:
                raise ValidationError(_("Calculate the SHU first."))
            if action == "decide":
                form = ShuDecisionForm(request.POST, meetings=Meeting.objects.filter(kelurahan=kelurahan, kind=Meeting.Kind.RAT))
                forms["decision_form"] = form
                if form.is_valid():
                    shu.decide(shu=shu_row, meeting=form.cleaned_data["meeting"], payout=form.cleaned_data["payout"])
                    messages.success(request, _("The RAT's decision is recorded."))
                    return redirect(f"{request.path}?tahun={year}")
            else:
                shu.pay(shu=shu_row, by=request.user)
                messages.success(request, _("The SHU of %(year)d is paid.") % {"year": year})
                return redirect(f"{request.path}?tahun={year}")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{request.path}?tahun={year}")
    return render(request, "usaha/shu.html", _shu_context(request, kelurahan, year, **forms))


@login_required
def shu_slips(request, pk):
    """Every member's SHU slip of the year, to print."""
    kelurahan = _kelurahan_or_404(request, pk)
    year = _year(request)
    context = _shu_context(request, kelurahan, year)
    return render(request, "usaha/shu_slips.html", context)


# --- Financing dossier ----------------------------------------------------------------------

@login_required
def dossier(request, pk):
    """One printable page for a bank: profile, members, capital, RAT, units' turnover."""
    kelurahan = _kelurahan_or_404(request, pk)
    return render(request, "usaha/dossier.html", {"kelurahan": kelurahan, **reports.dossier(kelurahan)})


@login_required
def dossier_xlsx(request, pk):
    kelurahan = _kelurahan_or_404(request, pk)
    record(AuditEvent.Action.EXPORT, request=request, obj=kelurahan, what="financing dossier", format="xlsx")
    return _xlsx(reports.dossier_xlsx(kelurahan, reports.dossier(kelurahan)), "pembiayaan", kelurahan.nama)

