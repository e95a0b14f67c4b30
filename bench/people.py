"""A city-wide per-person extract for `make bench`: Disdukcapil's (SIAK/DKB) layout, one row per
resident, ~3.6 residents per KK, the kelurahan by KEL_NAME and KEC_NAME only, NO_KK with Oracle's
sign blank, `-` for no RW, members before their head and a household's rows spread through
the file (the fold must hold every household until the end). Written as CSV and as XLSX (inline
strings, as such exports are), with a fixed seed."""

import csv
import random
import zipfile
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
HEADERS = ["NO", "NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "STAT_HBKEL", "ALAMAT",
           "NO_RT", "NO_RW", "KEL_NAME", "KEC_NAME"]
RELATION = ["ISTRI", "ANAK", "ANAK", "ANAK", "ORANGTUA", "FAMILI LAIN"]


def _residents(households, seed=7):
    rng = random.Random(seed)
    regions = list(csv.DictReader(open(ROOT / "kelurahan/data/balikpapan_wilayah.csv")))
    person = 0
    block = []
    for i in range(households):
        region = rng.choice(regions)
        code = region["kode_kemendagri"].replace(".", "")[:6]
        day_index, serial = divmod(i, 9999)
        no_kk = f"{code}{date(2010, 1, 1) + timedelta(days=day_index):%d%m%y}{serial + 1:04d}"
        size = rng.choices([1, 2, 3, 4, 5, 6], weights=[8, 14, 22, 28, 18, 10])[0]
        rt = f"{rng.randint(1, 60):03d}"
        address = f"JL. BENCH {i} RT {rt}"
        for member in range(size):
            day_index, serial = divmod(person, 9999)
            born = date(1950, 1, 1) + timedelta(days=day_index * 3)
            female = member == 1
            nik = f"{code}{born.day + (40 if female else 0):02d}{born:%m%y}{serial + 1:04d}"
            person += 1
            block.append([nik, " " + no_kk, f"WARGA {person}", "PEREMPUAN" if female else "LAKI-LAKI", "BALIKPAPAN",
                          born.strftime("%d-%m-%Y"), "KEPALA KELUARGA" if member == 0 else RELATION[member - 1],
                          address if member == 0 else "", rt, "-", region["kelurahan"].upper(),
                          region["kecamatan"].upper()])
        if len(block) >= 2000:  # shuffled in blocks: heads after members, households spread out
            rng.shuffle(block)
            yield from block
            block = []
    rng.shuffle(block)
    yield from block


def people_csv(path, households):
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, delimiter=";")
        out.writerow(HEADERS)
        n = 0
        for n, row in enumerate(_residents(households), start=1):
            out.writerow([n, *row])
    return n


def _column(index):
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def people_xlsx(path, csv_path):
    """The CSV's rows as one sheet of inline strings (SpreadsheetML written directly)."""
    letters = [_column(i) for i in range(len(HEADERS))]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        book.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        book.writestr("xl/workbook.xml", '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        book.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        with book.open("xl/worksheets/sheet1.xml", "w") as part, csv_path.open(newline="", encoding="utf-8") as fh:
            part.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for r, row in enumerate(csv.reader(fh, delimiter=";"), start=1):
                cells = "".join(f'<c r="{letters[i]}{r}" t="inlineStr"><is><t xml:space="preserve">{escape(v)}</t></is></c>'
                                for i, v in enumerate(row) if v)
                part.write(f'<row r="{r}">{cells}</row>'.encode())
            part.write(b"</sheetData></worksheet>")
    return path


if __name__ == "__main__":
    import sys
    out = ROOT / "bench-data"
    out.mkdir(exist_ok=True)
    n = people_csv(out / "people.csv", int(sys.argv[1]) if len(sys.argv) > 1 else 250_000)
    people_xlsx(out / "people.xlsx", out / "people.csv")
    print(n)
