"""Population files as the systems admins receive them write them, for the import tests and the
benchmark: an OpenSID export (Penduduk › Ekspor: 43 columns, inline strings, `-` for an empty
dusun/RT/RW, sorted by no_kk then kk_level, sheet `Sheet1`, no kelurahan column) and a
Disdukcapil (SIAK/DKB) per-person extract (a leading NO column, NO_KK printed by Oracle's
TO_CHAR with its sign blank, U+00A0 from copies, `-` for RT/RW 0, decoded codes in upper case,
dates dd-mm-yyyy, the kelurahan by KEL_NAME and KEC_NAME only).

The XLSX writer is a plain zip of SpreadsheetML, not openpyxl, so that cells are written as
these systems write them (inline strings), and a city of residents is written in seconds."""

import zipfile
from datetime import date
from xml.sax.saxutils import escape

OPENSID_HEADERS = [
    "alamat", "dusun", "rw", "rt", "nama", "no_kk", "nik", "sex", "tempatlahir", "tanggallahir", "agama_id",
    "pendidikan_kk_id", "pendidikan_sedang_id", "pekerjaan_id", "status_kawin", "kk_level", "warganegara_id",
    "ayah_nik", "nama_ayah", "ibu_nik", "nama_ibu", "golongan_darah_id", "akta_lahir", "dokumen_pasport",
    "tanggal_akhir_paspor", "dokumen_kitas", "akta_perkawinan", "tanggalperkawinan", "akta_perceraian",
    "tanggalperceraian", "cacat_id", "cara_kb_id", "hamil", "ktp_el", "status_rekam", "alamat_sekarang",
    "status_dasar", "suku", "tag_id_card", "id_asuransi", "no_asuransi", "lat", "lng",
]
SIAK_HEADERS = [
    "NO", "NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "AGAMA", "STATUS_KAWIN", "PDDK_AKH",
    "JENIS_PKRJN", "STAT_HBKEL", "ALAMAT", "NO_RT", "NO_RW", "KEL_NAME", "KEC_NAME",
]
SHDK = {1: "KEPALA KELUARGA", 3: "ISTRI", 4: "ANAK"}


def opensid_row(person):
    """One OpenSID export row: `person` has kk, nik, name, level (1 head, 3 wife, 4 child), rt,
    address, born; every other column as OpenSID leaves it."""
    values = dict.fromkeys(OPENSID_HEADERS, "")
    values.update({
        "alamat": person.get("address", ""), "dusun": "-", "rw": "-", "rt": person.get("rt") or "-",
        "nama": person["name"], "no_kk": person["kk"], "nik": person["nik"], "sex": "1" if person["level"] != 3 else "2",
        "tempatlahir": "BALIKPAPAN", "tanggallahir": person.get("born", date(1980, 3, 12)).isoformat(),
        "agama_id": "1", "pendidikan_kk_id": "5", "pekerjaan_id": "88", "status_kawin": "2",
        "kk_level": str(person["level"]), "warganegara_id": "1", "ktp_el": "2", "status_rekam": "4",
        "status_dasar": "1",
    })
    return [values[h] for h in OPENSID_HEADERS]


def siak_row(number, person, kel_name, kec_name):
    """One SIAK extract row, with the wrinkles of an Oracle print and a copy."""
    rt = person.get("rt")
    return [
        str(number), person["nik"], " " + person["kk"] + "\u00a0", person["name"].upper(),
        "PEREMPUAN" if person["level"] == 3 else "LAKI-LAKI", "BALIKPAPAN",
        person.get("born", date(1980, 3, 12)).strftime("%d-%m-%Y"), "ISLAM", "KAWIN", "SLTA/SEDERAJAT",
        "KARYAWAN SWASTA", SHDK.get(person["level"], "FAMILI LAIN"), person.get("address", "").upper(),
        rt if rt else "-", "-", kel_name, kec_name,
    ]


def _column(index):
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell(ref, value):
    if isinstance(value, bool) or value is None or value == "":
        return ""
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, date):  # a real date cell: days since 1899-12-30, date style
        return f'<c r="{ref}" s="1"><v>{(value - date(1899, 12, 30)).days}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def _sheet_xml(rows):
    yield b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    yield b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    columns = {}
    for r, row in enumerate(rows, start=1):
        cells = []
        for i, value in enumerate(row):
            if i not in columns:
                columns[i] = _column(i)
            cells.append(_cell(f"{columns[i]}{r}", value))
        yield f'<row r="{r}">{"".join(cells)}</row>'.encode()
    yield b"</sheetData></worksheet>"


def write_workbook(path, sheets):
    """An XLSX of `sheets` ({name: rows}, in order), every text an inline string."""
    names = list(sheets)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                      for i in range(1, len(names) + 1))
            + "</Types>"))
        book.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"))
        book.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            + "".join(f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, start=1))
            + "</sheets></workbook>"))
        book.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                      f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(names) + 1))
            + f'<Relationship Id="rId{len(names) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            "</Relationships>"))
        book.writestr("xl/styles.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'))
        for i, name in enumerate(names, start=1):
            with book.open(f"xl/worksheets/sheet{i}.xml", "w") as part:
                for chunk in _sheet_xml(sheets[name]):
                    part.write(chunk)
    return path
