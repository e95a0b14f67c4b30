"""The dashboard's figures as files and data: the CSV/XLSX table, the Satgas workbook and the
JSON of `/api/dasbor.json` and of frozen reports. Every text cell is neutralised."""

import tablib

from kkmp.downloads import neutralise

FIGURE_COLUMNS = (
    "jumlah_kk",
    "target",
    "kk_terwakili",
    "anggota_kepala_keluarga",
    "anggota_aktif",
    "persen_target",
    "status",
    "naik_7_hari",
    "perlu_per_minggu",
    "perkiraan_tercapai",
)
# The members' capital (`dashboard.progress.Capital`), after the progress figures.
CAPITAL_COLUMNS = ("simpanan_pokok", "simpanan_wajib", "lunas_bulan_ini", "menunggak", "persen_menunggak")
# The first ten columns are the ones agreed before campaigns (unchanged order); new ones follow.
DASHBOARD_COLUMNS = (
    "kode_kelurahan", "kelurahan", "kecamatan", "jumlah_kk", "per_tanggal", "target", "kk_terwakili",
    "anggota_kepala_keluarga", "anggota_aktif", "persen_target", "sumber", "status", "naik_7_hari",
    "perlu_per_minggu", "perkiraan_tercapai", *CAPITAL_COLUMNS, "rat_tahun_ini",
)
REGION_COLUMNS = (*FIGURE_COLUMNS, *CAPITAL_COLUMNS, "kelurahan_sudah_rat")


def _figures(progress):
    return [
        progress.jumlah_kk,
        progress.target,
        progress.kk_terwakili,
        progress.anggota_kepala_keluarga,
        progress.anggota_aktif,
        progress.persen_target,
        progress.status,
        progress.gained_7d,
        progress.weekly_pace_needed,
        progress.reach_date,
    ]


def _capital(progress):
    c = progress.capital
    return [c.pokok, c.wajib, c.paid_up, c.in_arrears, c.arrears_percent]


def dashboard_csv_dataset(groups):
    """The dashboard table as a `tablib.Dataset`, one row per kelurahan (see `dashboard_table`)."""
    dataset = tablib.Dataset(headers=DASHBOARD_COLUMNS, title="Kelurahan")
    for kecamatan, rows, _total in groups:
        for kel, progress in rows:
            f = _figures(progress)
            values = (kel.kode, kel.nama, kecamatan.nama, f[0], kel.per_tanggal, *f[1:6], kel.sumber, *f[6:],
                      *_capital(progress), progress.capital.rat_on)
            dataset.append([neutralise(v) for v in values])
    return dataset


def report_xlsx(figures, user):
    """The Satgas workbook: a sheet per level (kelurahan, kecamatan, kabupaten/kota) and a
    sheet saying what this is, who made it and when. Every text cell is neutralised."""
    region, campaign = figures["region"], figures["campaign"]
    about = tablib.Dataset(headers=("keterangan", "nilai"), title="Laporan")
    for key, value in (
        ("wilayah", f"{region.kode} {region.nama}" if region else ""),
        ("kampanye", str(campaign) if campaign else ""),
        ("per_tanggal", figures["today"]),
        ("dibuat_oleh", user.get_username()),
        ("dibuat_pada", figures["generated_at"].strftime("%Y-%m-%d %H:%M")),
    ):
        about.append([key, neutralise(value)])
    kecamatan = tablib.Dataset(headers=("kode_kecamatan", "kecamatan", *REGION_COLUMNS), title="Kecamatan")
    for kec, _rows, total in figures["groups"]:
        kecamatan.append([neutralise(v) for v in (kec.kode, kec.nama, *_region_figures(total))])
    city = tablib.Dataset(headers=("kode_wilayah", "wilayah", *REGION_COLUMNS), title="Kabupaten-Kota")
    city.append([neutralise(v) for v in (region.kode if region else "", region.nama if region else "",
                                         *_region_figures(figures["total"]))])
    sheets = [about, dashboard_csv_dataset(figures["groups"]), kecamatan, city]
    if figures.get("business") is not None and figures["business"].by_kelurahan:
        sheets.append(business_dataset(figures))
    book = tablib.Databook(sheets)
    return book.export("xlsx")


def business_dataset(figures):
    """The Satgas sheet of the business units: per kelurahan with a unit, the units running and
    the month's sales (usaha counters), and the total."""
    business = figures["business"]
    sheet = tablib.Dataset(headers=("kode_kelurahan", "kelurahan", "bulan", "unit_berjalan", "jumlah_terjual", "omzet",
                                    "penjualan", "penjualan_ke_anggota"), title="Usaha")
    month = business.month.strftime("%Y-%m")
    for _kec, rows, _t in figures["groups"]:
        for kel, _progress in rows:
            b = business.by_kelurahan.get(kel.pk)
            if b is not None:
                sheet.append([neutralise(kel.kode), neutralise(kel.nama), month, b.units, b.quantity, b.turnover, b.sales,
                              b.member_sales])
    t = business.total
    region = figures["region"]
    sheet.append([neutralise(region.kode if region else ""), neutralise(region.nama if region else ""), month, t.units,
                  t.quantity, t.turnover, t.sales, t.member_sales])
    return sheet


def _region_figures(progress):
    return [*_figures(progress), *_capital(progress), progress.capital.rat_held]


def _json_figures(progress):
    c = getattr(progress, "capital", None)
    capital = {} if c is None else {
        "simpanan_pokok": c.pokok, "simpanan_wajib": c.wajib, "lunas_bulan_ini": c.paid_up, "menunggak": c.in_arrears,
        "persen_menunggak": c.arrears_percent,
        "rat_tahun_ini": c.rat_on.isoformat() if c.rat_on else None,  # a kelurahan's; None for a sum
        "kelurahan_sudah_rat": c.rat_held,
    }
    return {
        "jumlah_kk": progress.jumlah_kk,
        "target": progress.target,
        "kk_terwakili": progress.kk_terwakili,
        "anggota_kepala_keluarga": progress.anggota_kepala_keluarga,
        "anggota_aktif": progress.anggota_aktif,
        "persen_target": progress.persen_target,
        "status": progress.status,
        "naik_7_hari": progress.gained_7d,
        "diharapkan_hari_ini": progress.expected,
        "perlu_per_minggu": progress.weekly_pace_needed,
        "perkiraan_tercapai": progress.reach_date.isoformat() if progress.reach_date else None,
        **capital,
    }


def dashboard_json_data(figures):
    """The dashboard's figures as plain data: `/api/dasbor.json` and frozen reports."""
    region, campaign = figures["region"], figures["campaign"]
    return {
        "wilayah": {"kode": region.kode, "nama": region.nama} if region else None,
        "kampanye": {
            "id": campaign.pk, "nama": campaign.name, "persen": campaign.percent,
            "mulai": campaign.starts_on.isoformat(), "tenggat": campaign.deadline.isoformat(),
        } if campaign else None,
        "persen_target_kk": campaign.percent if campaign else None,
        "per_tanggal": figures["today"].isoformat(),
        "dibuat_pada": figures["generated_at"].isoformat(),
        "total": _json_figures(figures["total"]),
        "kecamatan": [
            {
                "kode": kecamatan.kode,
                "nama": kecamatan.nama,
                "total": _json_figures(subtotal),
                "kelurahan": [
                    {
                        "kode": kel.kode,
                        "nama": kel.nama,
                        "per_tanggal": kel.per_tanggal.isoformat() if kel.per_tanggal else None,
                        "sumber": kel.sumber,
                        **_json_figures(progress),
                    }
                    for kel, progress in rows
                ],
            }
            for kecamatan, rows, subtotal in figures["groups"]
        ],
    }
