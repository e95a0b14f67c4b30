from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from audit.models import AuditEvent, record
from kkmp.downloads import attachment, download_name

from .models import KabupatenKota, Kelurahan, dashboard_table
from .resources import dashboard_dataset


def _dashboard_scope(request):
    """The regency/city the dashboard shows (`?wilayah=64.71`), and the choices.

    The dashboard shows one kabupaten/kota at a time: a national database has ~84,000
    kelurahan, far too many for one page.
    """
    regions = list(KabupatenKota.objects.filter(kecamatan__kelurahan__isnull=False).distinct())
    chosen = request.GET.get("wilayah")
    region = next((r for r in regions if r.kode == chosen), regions[0] if regions else None)
    return region, regions


@login_required
def dashboard(request):
    """Progress toward the target per kelurahan, grouped by kecamatan, with totals."""
    region, regions = _dashboard_scope(request)
    rows = Kelurahan.objects.filter(kecamatan__kabupaten_kota=region).for_dashboard()
    groups, total = dashboard_table(rows)
    return render(
        request,
        "kelurahan/dashboard.html",
        {
            "region": region,
            "regions": regions,
            "groups": groups,
            "total": total,
            "target_percent": settings.KKMP_TARGET_PERCENT,
        },
    )


@login_required
def dashboard_json(request):
    """The dashboard's figures as JSON, read-only, for integration (documented in the README)."""
    region, _regions = _dashboard_scope(request)
    rows = Kelurahan.objects.filter(kecamatan__kabupaten_kota=region).for_dashboard()
    groups, total = dashboard_table(rows)

    def figures(progress):
        return {
            "jumlah_kk": progress.jumlah_kk,
            "target": progress.target,
            "kk_terwakili": progress.kk_terwakili,
            "anggota_kepala_keluarga": progress.anggota_kepala_keluarga,
            "anggota_aktif": progress.anggota_aktif,
            "persen_target": progress.persen_target,
        }

    data = {
        "wilayah": {"kode": region.kode, "nama": region.nama} if region else None,
        "persen_target_kk": settings.KKMP_TARGET_PERCENT,
        "dibuat_pada": timezone.localtime().isoformat(),
        "total": figures(total),
        "kecamatan": [
            {
                "kode": kecamatan.kode,
                "nama": kecamatan.nama,
                "total": figures(subtotal),
                "kelurahan": [
                    {
                        "kode": kel.kode,
                        "nama": kel.nama,
                        "per_tanggal": kel.per_tanggal.isoformat() if kel.per_tanggal else None,
                        "sumber": kel.sumber,
                        **figures(progress),
                    }
                    for kel, progress in kelurahan_rows
                ],
            }
            for kecamatan, kelurahan_rows, subtotal in groups
        ],
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


@login_required
def dashboard_export(request, fmt):
    """The dashboard table as XLSX or CSV, for the Satgas."""
    if fmt not in ("xlsx", "csv"):
        raise Http404
    region, _regions = _dashboard_scope(request)
    rows = Kelurahan.objects.filter(kecamatan__kabupaten_kota=region).for_dashboard()
    groups, _total = dashboard_table(rows)
    dataset = dashboard_dataset(groups)
    record(AuditEvent.Action.EXPORT, request=request, what="dashboard", format=fmt, region=region.kode if region else "")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    slug = (region.kode if region else "kosong").replace(".", "")
    if fmt == "xlsx":
        content = dataset.export("xlsx")
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        content = "\ufeff" + dataset.export("csv")  # BOM: Excel then reads UTF-8 correctly
        content_type = "text/csv; charset=utf-8"
    return attachment(content, content_type=content_type, filename=download_name("progres-kkmp", slug, stamp, extension=fmt))
