"""Hostile and largest uploads through the real import path (called by bench/run.py, or alone:
`.venv/bin/python bench/uploads.py`).

For each crafted attack file of issue 10 (points 7 and 8) and the largest legitimate files
(200,000 and 300,000 households, the row limit, as XLSX and CSV; 1,000,000 as XLSX and a CSV near the
50 MB upload limit, both past the row limit), runs
`import_households FILE --dry-run` in a fresh process and prints one Markdown table row: size,
outcome (refused with the start of its message, or the counts), seconds of the import itself
(Django's start-up excluded), how much the worker grew (its peak RSS, VmHWM, during the import
minus before it) and the peak RSS of the isolated XLSX reader (the worker's child, as it reports
it; "-" when no reader ran or it was stopped). Targets: every file answered within 30 s, the
worker growing by less than 256 MiB.

Then the QR photos of issue 24 (two crafted 60 MP progressive JPEGs: one scan repeated 1,000
times, RGB at 4:4:4; and a phone's 4000 x 3000 photo of a member card) through the attendance
page's `read_qr` in a fresh process each: outcome, seconds, the worker's growth and the QR
decoder's own peak (its isolated child). `bench/uploads.py --photos` measures the photos only
(no database needed).

Uses its own database (BENCH_UPLOADS_DB, default `kkmp_bench_uploads`, on the server of
BENCH_DATABASE_URL), recreated on every run; files are built once into bench-data/uploads/.
"""

import csv
import io
import json
import os
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kkmp_bench").rsplit("/", 1)[0]
DB_URL = SERVER + "/" + os.environ.get("BENCH_UPLOADS_DB", "kkmp_bench_uploads")
WORK = ROOT / "bench-data" / "uploads"
PY = sys.executable
TARGET_SECONDS, TARGET_MIB = 30, 256

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WORKBOOK = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="{target}"/></Relationships>')
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "</Types>"
)
ROOT_RELS = (  # python-calamine does not recognise a workbook without it
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
HEADER = ["kode_kelurahan", "no_kk", "nama_kepala_keluarga", "nik_kepala_keluarga", "alamat", "rt", "rw"]


# --- the files ------------------------------------------------------------------------------

def cell(ref, value):
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def header_row():
    return '<row r="1">' + "".join(cell(f"{chr(65 + i)}1", name) for i, name in enumerate(HEADER)) + "</row>"


def workbook(rows="", dimension="A1:G2", parts=None, target="worksheets/sheet1.xml"):
    sheets = parts or {"xl/" + target.lstrip("/").removeprefix("xl/"): sheet(rows, dimension)}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", RELS.format(target=target))
        for name, xml in sheets.items():
            z.writestr(name, xml)
    return out.getvalue()


def sheet(rows, dimension="A1:G2"):
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'


def under_declared(data, name, size):
    """The zip with part `name` declaring `size` unpacked bytes (local and central headers)."""
    buf = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    struct.pack_into("<I", buf, info.header_offset + 22, size)
    at = buf.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", buf, at + 28)[0]
        if bytes(buf[at + 46:at + 46 + length]) == name.encode():
            struct.pack_into("<I", buf, at + 24, size)
        at = buf.find(b"PK\x01\x02", at + 4)
    return bytes(buf)


def dense(path, rows=1_048_575):
    """A sheet of 1,048,575 one-cell rows: 5 MB zipped."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", RELS.format(target="worksheets/sheet1.xml"))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(f'<worksheet xmlns="{NS}"><dimension ref="A1:A1"/><sheetData>'.encode() + header_row().encode())
            for start in range(2, rows + 1, 50_000):
                part.write(b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i)
                                    for i in range(start, min(start + 50_000, rows + 1))))
            part.write(b"</sheetData></worksheet>")


def xlsx_from_csv(csv_path, path):
    """The CSV's rows as an XLSX the way openpyxl's write-only mode saves it (inline strings),
    written as raw XML: a million rows in seconds."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", RELS.format(target="worksheets/sheet1.xml"))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part, csv_path.open(newline="") as fh:
            part.write(f'<worksheet xmlns="{NS}"><sheetData>'.encode())
            batch = []
            for n, row in enumerate(csv.reader(fh), 1):
                batch.append(f'<row r="{n}">' + "".join(cell(f"{chr(65 + i)}{n}", v) for i, v in enumerate(row) if v) + "</row>")
                if len(batch) == 10_000:
                    part.write("".join(batch).encode())
                    batch = []
            part.write("".join(batch).encode() + b"</sheetData></worksheet>")


def households_csv(rows, name):
    """`rows` valid households with unique KK numbers (bench/run.py's generator)."""
    path = ROOT / "bench-data" / name
    if not path.exists():
        sys.path.insert(0, str(ROOT / "bench"))
        import run  # bench/run.py, beside this file

        run.ROWS = rows
        run.WORK.mkdir(exist_ok=True)
        run.households_file(name=name)
        run.unique_by_kk(path)
    return path


def files():
    """(label, path) of every file measured; built once."""
    WORK.mkdir(parents=True, exist_ok=True)
    far = header_row() + '<row r="1048576">' + cell("XFD1048576", "x") + "</row>"
    crafted = {
        "xfd1048576-false-dimension.xlsx": workbook(far),
        "zzzzzzzz2.xlsx": workbook(header_row() + "<row>" + cell("ZZZZZZZZ2", "x") + "</row>"),
        "a99999999999.xlsx": workbook(header_row() + "<row>" + cell("A99999999999", "x") + "</row>"),
        "sparse-far-cell.xlsx": workbook(header_row() + '<row r="500000">' + cell("CV500000", "x") + "</row>"),
        "shared-strings-4e9.xlsx": workbook_with_strings(),
        "under-declared-part.xlsx": under_declared(workbook(header_row()), "xl/worksheets/sheet1.xml", 100),
        "dtd-across-chunks.xlsx": workbook_with_dtd(),
        "attack-not-in-sheet1.xlsx": workbook(parts={"xl/worksheets/sheet1.xml": sheet(header_row()),
                                                    "xl/worksheets/data.xml": sheet(far)}, target="worksheets/data.xml"),
    }
    out = []
    for name, data in crafted.items():
        path = WORK / name
        if not path.exists():
            path.write_bytes(data)
        out.append((name, path))
    path = WORK / "padded-98mb-empty-cells.xlsx"  # issue 24, point 3
    if not path.exists():
        path.write_bytes(padded())
    out.append((path.name, path))
    path = WORK / "dense-1048575-rows.xlsx"
    if not path.exists():
        dense(path)
    out.append((path.name, path))
    path = WORK / "csv-one-49mb-line.csv"
    if not path.exists():
        path.write_bytes(",".join(HEADER).encode() + b"\n" + b"ab," * (49 * 1024 * 1024 // 3) + b"\n")
    out.append((path.name, path))
    path = WORK / "csv-200k-char-cell.csv"
    if not path.exists():
        path.write_bytes(",".join(HEADER).encode() + b"\n64.71.05.1002," + b"9" * 200_000 + b",x,y,z,1,\n")
    out.append((path.name, path))
    small = households_csv(200_000, "households-200000.csv")
    out.append(("households-200000.csv", small))
    xlsx = WORK / "households-200000.xlsx"
    if not xlsx.exists():
        xlsx_from_csv(small, xlsx)
    out.append((xlsx.name, xlsx))
    at_limit = households_csv(300_000, "households-300000.csv")  # KKMP_IMPORT_MAX_ROWS: the largest accepted
    out.append((at_limit.name, at_limit))
    xlsx = WORK / "households-300000.xlsx"
    if not xlsx.exists():
        xlsx_from_csv(at_limit, xlsx)
    out.append((xlsx.name, xlsx))
    near_limit = households_csv(600_000, "households-600000.csv")  # ~49 MB: past the row limit
    out.append((near_limit.name, near_limit))
    million = households_csv(1_000_000, "households-1000000.csv")
    big = WORK / "households-1000000.xlsx"
    if not big.exists():
        xlsx_from_csv(million, big)
    out.append((big.name, big))
    return out


def padded(empty_mb=98):
    """Issue 24, point 3: a header, one invalid row, then `empty_mb` MB of empty `<c/>` cells
    inside sheetData, padded with a stored part so the unpack ratio stays under 100: under
    1 MB of file that costs the workbook's checks as much as a 100 MB sheet."""
    rows = header_row() + '<row r="2">' + cell("A2", "x") + cell("B2", "123") + "<c/>" * (empty_mb * 1024 * 1024 // 4) + "</row>"
    data = workbook(rows)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        unpacked = sum(i.file_size for i in z.infolist())
    pad = max(0, unpacked // 99 - len(data))
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr("xl/media/padding.bin", os.urandom(pad), compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def jpeg_scan_bytes(data):
    """(start, end) of each scan (SOS segment and its entropy-coded data) of a JPEG."""
    spans, at = [], 2
    while at < len(data) and data[at + 1] != 0xD9:
        end = at + 2 + struct.unpack(">H", data[at + 2:at + 4])[0]
        if data[at + 1] == 0xDA:
            while not (data[end] == 0xFF and data[end + 1] != 0 and not 0xD0 <= data[end + 1] <= 0xD7):
                end += 1
            spans.append((at, end))
        at = end
    return spans


def photo_files():
    """(label, path) of the QR photos measured (issue 24): two crafted 60 MP progressive JPEGs
    and a phone's photo of a member card; built once."""
    from PIL import Image  # noqa: PLC0415  (only the photo rows need Pillow)

    WORK.mkdir(parents=True, exist_ok=True)
    out = []
    path = WORK / "photo-60mp-scan-repeated-1000.jpg"
    if not path.exists():  # one colour, 7,745 x 7,745, its last AC refinement scan 1,000 more times
        buf = io.BytesIO()
        Image.new("L", (7745, 7745), 200).save(buf, "JPEG", progressive=True)
        data = buf.getvalue()
        start, end = jpeg_scan_bytes(data)[-1]
        path.write_bytes(data[:-2] + data[start:end] * 1000 + data[-2:])
    out.append((path.name, path))
    path = WORK / "photo-60mp-progressive-444.jpg"
    if not path.exists():  # RGB at 4:4:4: libjpeg keeps 2 bytes per pixel and component
        Image.new("RGB", (7745, 7745), (200, 30, 40)).save(path, "JPEG", progressive=True, subsampling=0)
    out.append((path.name, path))
    path = WORK / "photo-phone-4000x3000-qr.jpg"
    if not path.exists():  # a phone's photo of a member card: texture, the card's QR code, quality 90
        import segno  # noqa: PLC0415

        photo = Image.merge("RGB", [Image.effect_noise((4000, 3000), sigma).point(lambda v: v // 2 + 64)
                                    for sigma in (18, 20, 22)])
        code = io.BytesIO()
        segno.make("64.71.05.1002-00012", micro=False).save(code, kind="png", scale=24, border=2)
        photo.paste(Image.open(code).convert("RGB"), (1500, 1000))
        photo.save(path, "JPEG", quality=90)
    out.append((path.name, path))
    return out


def measure_photo(path):
    """In the child: read the photo's QR code once as the attendance page does, print what it
    cost as JSON (the decoder's peak as `koperasi.qr_photo` logs it)."""
    import logging
    import re

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kkmp.settings")
    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from koperasi import qr_photo  # loaded before the baseline, as in a warm worker

    decoder = []

    class Peak(logging.Handler):
        def emit(self, record):
            found = re.search(r"decoder peak (\d+) MiB", record.getMessage())
            if found:
                decoder.append(int(found.group(1)))

    logging.getLogger("koperasi.qr_photo").addHandler(Peak())
    logging.getLogger("koperasi.qr_photo").setLevel(logging.INFO)
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="image/jpeg")
    before = _high_water_kib()
    started = time.perf_counter()
    try:
        outcome = "ok: " + qr_photo.read_qr(upload)
    except ValidationError as exc:
        outcome = "refused: " + exc.messages[0]
    seconds = time.perf_counter() - started
    growth = (_high_water_kib() - before) / 1024
    print(json.dumps({"outcome": outcome, "seconds": seconds, "growth": growth,
                      "reader": max(decoder) if decoder else None}))


def workbook_with_strings():
    strings = (f'<sst xmlns="{NS}" count="4000000000" uniqueCount="4000000000">'
               + "".join(f"<si><t>{h}</t></si>" for h in HEADER) + "</sst>")
    rows = '<row r="1">' + "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(len(HEADER))) + "</row>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", RELS.format(target="worksheets/sheet1.xml"))
        z.writestr("xl/sharedStrings.xml", strings)
        z.writestr("xl/worksheets/sheet1.xml", sheet(rows))
    return out.getvalue()


def workbook_with_dtd():
    """A DTD in docProps/core.xml, its `<!DOC` at the end of the first 64 KB read chunk."""
    head = '<?xml version="1.0"?><!--'
    core = head + "x" * (65536 - 5 - len(head) - 3) + '--><!DOCTYPE c [<!ENTITY a "aaaaaaaaaa">]><c/>'
    out = io.BytesIO(workbook(header_row()))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("docProps/core.xml", core)
    return out.getvalue()


# --- measuring ------------------------------------------------------------------------------

def _high_water_kib():
    """Peak RSS of this process (VmHWM; ru_maxrss would include the parent's, inherited)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def measure(path):
    """In the child: run the import once, print what it cost as JSON."""
    import logging
    import re

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kkmp.settings")
    django.setup()
    from django.core.management import CommandError, call_command

    import imports.pipeline  # noqa: F401  (loaded before the baseline, as in a warm worker)

    reader = []

    class Peak(logging.Handler):  # the reader's own peak, as imports.xlsx_read logs it
        def emit(self, record):
            found = re.search(r"reader peak (\d+) MiB", record.getMessage())
            if found:
                reader.append(int(found.group(1)))

    logging.getLogger("imports.xlsx_read").addHandler(Peak())
    logging.getLogger("imports.xlsx_read").setLevel(logging.INFO)
    before = _high_water_kib()
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    try:
        call_command("import_households", str(path), "--dry-run", stdout=out, stderr=err)
        outcome = "ok: " + out.getvalue().strip().splitlines()[0]
    except CommandError as exc:
        outcome = "refused: " + str(exc)
    seconds = time.perf_counter() - started
    growth = (_high_water_kib() - before) / 1024
    print(json.dumps({"outcome": outcome, "seconds": seconds, "growth": growth,
                      "reader": max(reader) if reader else None}))


def psql(sql, url):
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, stdout=subprocess.DEVNULL)


def main(photos_only=False):
    env = {**os.environ, "DATABASE_URL": DB_URL, "DEBUG": "on", "LOG_LEVEL": "ERROR"}
    measured = []
    if not photos_only:  # the photo rows need no database
        name = DB_URL.rsplit("/", 1)[1]
        psql(f"DROP DATABASE IF EXISTS {name}", SERVER + "/postgres")
        psql(f"CREATE DATABASE {name}", SERVER + "/postgres")
        for step in (["migrate", "--noinput"], ["load_regions"]):
            subprocess.run([PY, "manage.py", *step], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        measured += [(label, path, "--measure") for label, path in files()]
    measured += [(label, path, "--measure-photo") for label, path in photo_files()]
    rows = []
    for label, path, how in measured:
        result = subprocess.run([PY, __file__, how, str(path)], cwd=ROOT, env=env, capture_output=True,
                                text=True, check=False)
        if result.returncode != 0:
            rows.append((label, path.stat().st_size, f"CRASHED (exit status {result.returncode})", 0, 0, None))
            continue
        found = json.loads(result.stdout.strip().splitlines()[-1])
        rows.append((label, path.stat().st_size, found["outcome"], found["seconds"], found["growth"], found["reader"]))
    print("\nUploads: `import_households FILE --dry-run`, and for photo-*.jpg the attendance page's `read_qr`, in a "
          "fresh process (targets: < 30 s, worker < +256 MiB; for a photo, the QR decoder's peak as the reader's)\n")
    print("| file | size | outcome | seconds | worker +MiB | reader peak MiB | targets |")
    print("|---|---:|---|---:|---:|---:|:-:|")
    for label, size, outcome, seconds, growth, reader in rows:
        ok = "✓" if seconds < TARGET_SECONDS and growth < TARGET_MIB and not outcome.startswith("CRASHED") else "✗"
        shown = outcome if len(outcome) <= 70 else outcome[:67] + "…"
        print(f"| {label} | {size / 1024 / 1024:.1f} MB | {shown.replace('|', '/')} | {seconds:.2f} | {growth:.0f} | "
              f"{'-' if reader is None else reader} | {ok} |")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        sys.path.insert(0, str(ROOT))
        measure(Path(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--measure-photo":
        sys.path.insert(0, str(ROOT))
        measure_photo(Path(sys.argv[2]))
    else:
        main(photos_only="--photos" in sys.argv[1:])
