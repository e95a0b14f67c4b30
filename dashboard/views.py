"""The dashboard's pages: each kelurahan's progress toward its campaign's target rolled up by
kecamatan, city and province, the trend, a kelurahan's page, its exports, and the Satgas reports
(issued, frozen, downloadable). Thin views: figures come from `dashboard.queries`, the arithmetic
from `dashboard.progress`, the files from `dashboard.resources`; the kelurahan a user may read from
`Kelurahan.objects.for_user`."""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.models import AuditEvent, record
from kelurahan.models import KabupatenKota, Kelurahan, Provinsi
from kkmp.downloads import spreadsheet
from members.models import Application
from usaha.queries import business_figures

from . import counters
from .charts import trend_chart, trend_dates
from .models import Campaign, Report, current_campaign
from .progress import Progress, Status, dashboard_table
from .queries import for_dashboard, rat_for, rollup
from .resources import dashboard_csv_dataset, dashboard_json_data, report_xlsx

SORTS = {
    "persen": lambda p: (p.persen_target is None, p.persen_target or 0),
    "kk_terwakili": lambda p: -p.kk_terwakili,
    "naik": lambda p: -p.gained_7d,
    "kecepatan": lambda p: -(p.weekly_pace_needed or 0),
}


def _campaign(params, region, today, everywhere=False):
    """The campaigns of `region` (every campaign, `everywhere`) and the one shown:
    `?kampanye=<id>`, else the current one."""
    campaigns = list(Campaign.objects.all() if everywhere else Campaign.objects.for_region(region))
    chosen = params.get("kampanye", "")
    campaign = next((c for c in campaigns if str(c.pk) == chosen), None) or current_campaign(campaigns, today)
    return campaign, campaigns


def _visible(user):
    """The kelurahan whose figures `user`'s dashboard pages show (`on_dashboard_of`)."""
    return Kelurahan.objects.on_dashboard_of(user)


def _region(params, user):
    """The regency/city the dashboard shows (`?wilayah=64.71`), and the choices: those with a
    kelurahan `user` sees.

    The dashboard shows one kabupaten/kota at a time: a national database has ~84,000
    kelurahan, far too many for one page (provinces have the roll-up page).
    """
    regions = list(KabupatenKota.objects.filter(Exists(_visible(user).filter(kecamatan__kabupaten_kota=OuterRef("pk")))))
    chosen = params.get("wilayah")
    region = next((r for r in regions if r.kode == chosen), regions[0] if regions else None)
    return region, regions


def dashboard_figures(params, user, today=None):
    """Everything the dashboard, its downloads, the JSON and a report show for `params`
    (`wilayah`, `kampanye`) to `user` (only the kelurahan they see), in a fixed number of
    queries: regions, campaigns, the kelurahan rows with their counters, KK gained in 7 days,
    the members' capital and this year's RAT."""
    today = today or timezone.localdate()
    region, regions = _region(params, user)
    campaign, campaigns = _campaign(params, region, today)
    kelurahan = _visible(user).filter(kecamatan__kabupaten_kota=region)
    rows = for_dashboard(kelurahan, campaign)
    gained = counters.gained(kelurahan, today)
    groups, total = dashboard_table(rows, campaign, today, gained, rat_for(kelurahan, today))
    return {
        "region": region,
        # the menu: the kabupaten/kota of the shown one's province (a national database has
        # 514; the province and national pages lead to the others)
        "regions": [r for r in regions if region and r.provinsi_id == region.provinsi_id],
        "kelurahan": kelurahan,
        "campaign": campaign,
        "campaigns": campaigns,
        "groups": groups,
        "total": total,
        "today": today,
        "generated_at": timezone.localtime(),
    }


def _with_business(figures):
    """`figures` with the business units (`business`: units running and this month's sales per
    kelurahan, from the usaha counters; two queries), for the page and the Satgas report."""
    figures["business"] = business_figures(figures["kelurahan"], figures["today"])
    return figures


def _filtered(groups, request):
    """The table's groups after the page's filters (`?kecamatan=`, `?status=`) and sort
    (`?urut=`: one list across kecamatan, without subtotals)."""
    kecamatan, status, sort = request.GET.get("kecamatan"), request.GET.get("status"), request.GET.get("urut")
    if kecamatan:
        groups = [g for g in groups if g[0].kode == kecamatan]
    if status:
        # a kecamatan's subtotal covers all its kelurahan: not shown beside some of them
        groups = [(kec, [(k, p) for k, p in rows if p.status == status], None) for kec, rows, _t in groups]
        groups = [g for g in groups if g[1]]
    if sort in SORTS:
        rows = sorted((r for _kec, rows, _t in groups for r in rows), key=lambda r: (SORTS[sort](r[1]), r[0].nama))
        return [(None, rows, None)] if rows else [], sort
    return groups, ""


@login_required
def dashboard(request):
    """Progress toward the campaign's target per kelurahan, grouped by kecamatan, with totals."""
    figures = _with_business(dashboard_figures(request.GET, request.user))
    groups, sort = _filtered(figures["groups"], request)
    received = Application.objects.figures(figures["kelurahan"])
    applications = [(kel, received[kel.pk]) for _kec, rows, _t in groups for kel, _p in rows if kel.pk in received]
    by_kelurahan = figures["business"].by_kelurahan
    business = [(kel, by_kelurahan[kel.pk]) for _kec, rows, _t in groups for kel, _p in rows if kel.pk in by_kelurahan]
    return render(
        request,
        "dashboard/dashboard.html",
        {
            **figures,
            "shown": groups,
            "applications": applications,
            "business_rows": business,
            "sort": sort,
            "sorts": [("", _("by kecamatan")), ("persen", _("percent of target, lowest first")), ("naik", _("gained in 7 days")), ("kecepatan", _("weekly pace needed"))],
            "statuses": [(s, Status.LABELS[s]) for s in Status.ORDER],
            "filters": {k: request.GET.get(k, "") for k in ("kecamatan", "status", "urut", "kampanye")},
        },
    )


@login_required
def dashboard_json(request):
    """The dashboard's figures as JSON, read-only, for integration (documented in the README)."""
    return JsonResponse(dashboard_json_data(dashboard_figures(request.GET, request.user)), json_dumps_params={"ensure_ascii": False})


@login_required
def dashboard_export(request, fmt):
    """The dashboard as XLSX (a sheet per level: kelurahan, kecamatan, city) or CSV (kelurahan)."""
    if fmt not in ("xlsx", "csv"):
        raise Http404
    figures = dashboard_figures(request.GET, request.user)
    region = figures["region"]
    record(AuditEvent.Action.EXPORT, request=request, what="dashboard", format=fmt, region=region.kode if region else "")
    slug = (region.kode if region else "kosong").replace(".", "")
    name = f"progres-kkmp-{slug}-{figures['generated_at']:%Y%m%d-%H%M}"
    if fmt == "xlsx":
        return spreadsheet(report_xlsx(figures, request.user), fmt, name)
    return spreadsheet(dashboard_csv_dataset(figures["groups"]).export("csv"), fmt, name)


@login_required
def dashboard_rollup(request):
    """A province's figures per kabupaten/kota (`?wilayah=64`), from the counters, one query."""
    today = timezone.localdate()
    visible = _visible(request.user)
    provinces = list(Provinsi.objects.filter(Exists(visible.filter(kecamatan__kabupaten_kota__provinsi=OuterRef("pk")))))
    province = next((p for p in provinces if p.kode == request.GET.get("wilayah")), provinces[0] if provinces else None)
    campaign, campaigns = _campaign(request.GET, province, today)
    # by code (`64.…`: the kode index), not through the kecamatan and kabupaten/kota joins
    kelurahan = visible.filter(kode__startswith=f"{province.kode}.") if province else visible.none()
    rows, total = province_rollup(kelurahan, campaign, today)
    return render(request, "dashboard/rollup.html", {
        "province": province, "provinces": provinces, "campaign": campaign, "campaigns": campaigns,
        "rows": rows, "total": total, "today": today,
    })


@login_required
def dashboard_national(request):
    """Every province the user sees, its figures summed from the counters (`?kampanye=`: a
    national campaign), one row per province linking to its page."""
    today = timezone.localdate()
    kelurahan = _visible(request.user)
    campaign, campaigns = _campaign(request.GET, None, today, everywhere=True)
    rows, total = province_rollup(kelurahan, campaign, today, by="kecamatan__kabupaten_kota__provinsi", names=Provinsi)
    return render(request, "dashboard/national.html", {
        "campaign": campaign, "campaigns": campaigns, "rows": rows, "total": total, "today": today,
    })


def province_rollup(kelurahan, campaign, today, by="kecamatan__kabupaten_kota", names=KabupatenKota):
    """[(region, Progress)] per `by` (kabupaten/kota; or province, with `names=Provinsi`) and
    their sum: two queries (the sums over the counters with the KK gained in 7 days from the
    history rows, region names)."""
    sums = rollup(kelurahan, campaign, by, today)
    names = names.objects.in_bulk(list(sums), field_name="kode")
    rows = []
    for key, s in sums.items():
        progress = Progress(
            jumlah_kk=s["jumlah_kk"], target=s["target"], kk_terwakili=s["kk_terwakili"],
            anggota_kepala_keluarga=s["anggota_kepala_keluarga"], anggota_aktif=s["anggota_aktif"],
            campaign=campaign if s["in_campaign"] else None, today=today, gained_7d=s["gained_7d"],
        )
        progress.without_count = s["without_count"]
        rows.append((names[key], progress))
    return rows, Progress.sum((p for _, p in rows), campaign, today)


def _trend(kelurahan, campaign, target, today):
    """The city's trend chart: KK terwakili of all `kelurahan` on each date."""
    dates = trend_dates(campaign, today)
    series = counters.history(kelurahan, dates, by="kecamatan__kabupaten_kota")
    values = [sum(v[i] for v in series.values()) for i in range(len(dates))]
    return trend_chart(dates, values, campaign=campaign, target=target)


@login_required
def trend(request):
    """KK terwakili over time for the city against the campaign's line (server-side SVG)."""
    figures = dashboard_figures(request.GET, request.user)
    chart = _trend(figures["kelurahan"], figures["campaign"], figures["total"].target, figures["today"])
    return render(request, "dashboard/trend.html", {**figures, "chart": chart})


@login_required
def kelurahan_detail(request, pk):
    """One kelurahan: its figures, the trend, a breakdown by RT (and RW where used) and the
    latest members. Scoped as the member pages: another kelurahan's officer gets a 404."""
    kelurahan = get_object_or_404(Kelurahan.objects.for_user(request.user).select_related("kecamatan__kabupaten_kota"), pk=pk)
    today = timezone.localdate()
    campaign, _campaigns = _campaign(request.GET, kelurahan.kecamatan.kabupaten_kota, today)
    row = for_dashboard(Kelurahan.objects.filter(pk=pk), campaign).get()
    progress = Progress.of(row, campaign, today, counters.gained([pk], today).get(pk, 0))
    active = Q(status="aktif")
    by_rt = (
        kelurahan.members.filter(active)
        .values("household__rw", "household__rt")
        .annotate(kk_terwakili=Count("household", distinct=True), anggota_aktif=Count("pk"),
                  anggota_kepala_keluarga=Count("pk", filter=Q(is_head_of_household=True)))
        .order_by("household__rw", "household__rt")
    )
    latest = kelurahan.members.select_related("household").order_by("-joined_on", "-member_seq")[:10]
    dates = trend_dates(progress.campaign, today)
    values = counters.history([pk], dates).get(pk, [0] * len(dates))
    chart = trend_chart(dates, values, campaign=progress.campaign, target=progress.target)
    applications = Application.objects.figures([pk]).get(pk, {"received": 0, "accepted": 0, "waiting_long": 0})
    return render(request, "dashboard/kelurahan_detail.html", {
        "applications": applications,
        "kelurahan": kelurahan, "progress": progress, "campaign": campaign, "by_rt": by_rt,
        "uses_rw": any(r["household__rw"] for r in by_rt), "latest": latest, "chart": chart, "today": today,
    })


# --- Reports for the Satgas ------------------------------------------------------------------

def _reviewer_or_404(user):
    """Reports are DKUMKMP's: admins and reviewers. Officers get a 404, as for any page
    outside their scope."""
    if not (user.is_superuser or user.has_perm("members.view_all_kelurahan")):
        raise Http404


@login_required
def report_list(request):
    """Issued reports, newest first, and the button to issue one from today's figures."""
    _reviewer_or_404(request.user)
    regions = _region(request.GET, request.user)[1]
    reports = Report.objects.for_list().filter(region_kode__in=[r.kode for r in regions])[:200]
    return render(request, "dashboard/report_list.html", {"reports": reports, "regions": regions})


@login_required
@require_POST
def report_create(request):
    """Issue a report: freeze today's figures, trend and XLSX as they are now."""
    _reviewer_or_404(request.user)
    figures = dashboard_figures(request.POST, request.user)
    region = figures["region"]
    if region is None:
        raise Http404
    _with_business(figures)
    chart = _trend(figures["kelurahan"], figures["campaign"], figures["total"].target, figures["today"])
    data = dashboard_json_data(figures)
    data["dibuat_oleh"] = request.user.get_username()
    data["tren"] = [[d.isoformat(), v] for d, v in chart["values"]]
    report = Report.objects.create(
        region_kode=region.kode, region_name=region.nama,
        campaign_name=str(figures["campaign"]) if figures["campaign"] else "",
        as_of=figures["today"], created_by=request.user, data=data,
        xlsx=report_xlsx(figures, request.user),
    )
    record(AuditEvent.Action.EXPORT, request=request, obj=report, what="report", region=region.kode)
    return redirect(report)


@login_required
def report_detail(request, pk):
    """The issued report as an A4 print page (the browser's "Print" makes the PDF), with the
    change since then against today's figures."""
    _reviewer_or_404(request.user)
    report = get_object_or_404(Report.objects.select_related("created_by"), pk=pk)
    figures = dashboard_figures({"wilayah": report.region_kode}, request.user)
    if figures["region"] is None or figures["region"].kode != report.region_kode:
        raise Http404  # a report of a region outside the reviewer's grants
    data = report.data
    today = dashboard_json_data(figures)
    now = {k["kode"]: k for kec in today["kecamatan"] for k in kec["kelurahan"]}
    rows = []
    for kec in data["kecamatan"]:
        for kel in kec["kelurahan"]:
            current = now.get(kel["kode"], {})
            rows.append({**kel, "kecamatan": kec["nama"], "change": (current.get("kk_terwakili") or 0) - kel["kk_terwakili"]})
    tren = [(date.fromisoformat(d), v) for d, v in data.get("tren", [])]
    chart = None
    if tren:
        campaign = Campaign(
            percent=data["kampanye"]["persen"], starts_on=date.fromisoformat(data["kampanye"]["mulai"]),
            deadline=date.fromisoformat(data["kampanye"]["tenggat"]),
        ) if data.get("kampanye") else None
        chart = trend_chart([d for d, _v in tren], [v for _d, v in tren], campaign=campaign, target=data["total"]["target"])
    record(AuditEvent.Action.EXPORT, request=request, obj=report, what="report", format="html")
    return render(request, "dashboard/report_detail.html", {
        "report": report, "data": data, "rows": rows, "chart": chart,
        "total_change": today["total"]["kk_terwakili"] - data["total"]["kk_terwakili"], "now": today,
    })


@login_required
def report_download(request, pk):
    """The issued report's XLSX, byte for byte as it was issued."""
    _reviewer_or_404(request.user)
    visible = KabupatenKota.objects.filter(Exists(_visible(request.user).filter(kecamatan__kabupaten_kota=OuterRef("pk"))))
    report = get_object_or_404(Report, pk=pk, region_kode__in=visible.values("kode"))
    record(AuditEvent.Action.EXPORT, request=request, obj=report, what="report", format="xlsx")
    return spreadsheet(bytes(report.xlsx), "xlsx", f"laporan-kkmp-{report.region_kode.replace('.', '')}-{report.as_of:%Y%m%d}-{report.pk}")
