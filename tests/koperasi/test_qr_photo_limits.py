"""A photo of the member card's QR code is decoded in a child process with CPU, memory and
wall-clock limits, after its scans and pixels are checked (issue 24, point 1): a crafted JPEG
is refused with a message, costs the child its limit, never the web worker, and leaves no
process behind; a camera's photo, progressive or not, is still read (koperasi/qr_photo.py,
koperasi/qr_decoder.py). The crafted files are built here: Pillow writes progressive JPEGs,
and a scan is repeated by copying its bytes before the end of the image (EOI)."""

import io
import logging
import os
import signal
import struct
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from koperasi import qr_decoder, qr_photo
from koperasi.models import Attendance
from tests.koperasi.test_rapat import meeting, member, qr_png, url

pytestmark = pytest.mark.django_db

NUMBER = "64.71.05.1002-00001"


# --- building JPEGs --------------------------------------------------------------------------

def segments(data):
    """[(marker, start, end)] of a JPEG's segments; an SOS segment runs on to the next marker,
    its entropy-coded data included (0xFF 0x00 is a stuffed byte, 0xFF 0xD0-0xD7 a restart)."""
    assert data[:2] == b"\xff\xd8"
    out, at = [], 2
    while at < len(data):
        assert data[at] == 0xFF
        marker = data[at + 1]
        if marker == 0xD9:
            out.append((marker, at, at + 2))
            return out
        end = at + 2 + struct.unpack(">H", data[at + 2:at + 4])[0]
        if marker == 0xDA:
            while not (data[end] == 0xFF and data[end + 1] != 0 and not 0xD0 <= data[end + 1] <= 0xD7):
                end += 1
        out.append((marker, at, end))
        at = end
    raise AssertionError("no EOI")


def scans_of(data):
    return sum(1 for marker, _start, _end in segments(data) if marker == 0xDA)


def with_last_scan_repeated(data, times):
    """The JPEG with its last scan (for a progressive one: the last AC refinement) repeated
    `times` more times before EOI: a few bytes each for a one-colour image, a pass over the
    whole image each for libjpeg."""
    parts = segments(data)
    _marker, start, end = [part for part in parts if part[0] == 0xDA][-1]
    eoi = parts[-1][1]
    return data[:eoi] + data[start:end] * times + data[eoi:]


def jpeg(image, **options):
    buf = io.BytesIO()
    image.save(buf, "JPEG", **options)
    return buf.getvalue()


def card_photo(width, height, number=NUMBER, mode="RGB"):
    """A photo of `width` x `height` with the member card's QR code in it."""
    photo = Image.linear_gradient("L").resize((width, height)).convert(mode)
    code = Image.open(io.BytesIO(qr_png(number, scale=max(8, width // 200)))).convert(mode)
    photo.paste(code, (width // 3, height // 3))
    return photo


@pytest.fixture(scope="module")
def repeated_scan_attack():
    """Issue 24's file: a one-colour 7,745 x 7,745 progressive JPEG (60 MP, under the pixel
    limit of a one-scan JPEG) with its last AC refinement scan repeated 1,000 times: 324 KB,
    which kept a worker decoding for 54 s."""
    data = with_last_scan_repeated(jpeg(Image.new("L", (7745, 7745), 200), progressive=True), 1000)
    assert scans_of(data) == 1006 and len(data) < 400_000
    return data


def upload(content, name="IMG_0001.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def refused_on_the_page(client, rat, data, name="IMG_0001.jpg"):
    """Post the photo; the page comes back (no 500), nothing recorded: the photo's refusal."""
    response = client.post(url("meeting_attendance", rat.pk), {"photo": upload(data, name)})
    assert response.status_code == 200
    assert not Attendance.objects.exists()
    (error,) = response.context["attendance_form"].errors.as_data()["photo"]
    return error.code, error.messages[0]


def decoder_children():
    """This process's children running the QR decoder."""
    mine, found = str(os.getpid()), []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat, cmdline = (entry / "stat").read_text(), (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[1] == mine and b"qr_decoder.py" in cmdline:
                found.append(entry.name)
    return found


def stopped(data, caplog):
    """read_qr's refusal of `data` and the decoder's log line."""
    with caplog.at_level(logging.INFO, logger="koperasi.qr_photo"), pytest.raises(ValidationError) as refusal:
        qr_photo.read_qr(upload(data))
    assert not decoder_children()
    return refusal.value, " ".join(record.getMessage() for record in caplog.records)


# --- what is refused before a pixel is decoded -----------------------------------------------

def test_a_jpeg_with_a_scan_repeated_a_thousand_times_is_refused_before_decoding(
        officer_client, kelurahan_a, repeated_scan_attack):
    member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    code, message = refused_on_the_page(officer_client, rat, repeated_scan_attack)
    assert code == "too_many_scans"
    assert message == ("The photo is saved in more than 32 scans (a camera's photo has about 10): take the photo "
                       "again with the phone's camera, or type the member number.")
    assert not decoder_children()


def test_a_progressive_jpeg_over_12_megapixels_is_refused_from_its_header(officer_client, kelurahan_a):
    """RGB at 4:4:4, as issue 24's 705 KB one: libjpeg would hold 2 bytes per pixel and
    component whatever the scale (429 MB at 60 MP). The same pixels in one scan are read."""
    member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    photo = card_photo(4001, 3000)
    code, message = refused_on_the_page(officer_client, rat, jpeg(photo, progressive=True, subsampling=0))
    assert code == "too_many_pixels"
    assert message == ("The image is too large to read (4001 × 3000 pixels; at most 12 million for this photo): "
                       "take the photo again at a lower resolution, or type the member number.")
    officer_client.post(url("meeting_attendance", rat.pk), {"photo": upload(jpeg(photo, quality=85))})
    assert Attendance.objects.get().via == Attendance.Via.QR


@pytest.mark.parametrize(("kind", "name"), [("GIF", "kartu.gif"), ("BMP", "kartu.bmp"), ("TIFF", "kartu.tif")])
def test_an_image_in_a_format_we_do_not_open_is_refused(officer_client, kelurahan_a, kind, name):
    """Only JPEG, PNG and WebP are opened: no other Pillow plugin reads an upload (its EPS one
    runs Ghostscript), however readable the code in it."""
    member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    buf = io.BytesIO()
    card_photo(800, 600).save(buf, kind)
    code, message = refused_on_the_page(officer_client, rat, buf.getvalue(), name)
    assert code == "not_image"


def test_an_eps_file_is_refused_as_not_an_image(officer_client, kelurahan_a):
    member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\nshowpage\n%%EOF\n"
    assert refused_on_the_page(officer_client, rat, eps, "kartu.eps")[0] == "not_image"


# --- what a camera gives is still read ------------------------------------------------------

def test_a_cameras_progressive_jpeg_is_read(officer_client, kelurahan_a):
    person = member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    data = jpeg(card_photo(3000, 2000), progressive=True, quality=85)
    assert scans_of(data) == 10
    officer_client.post(url("meeting_attendance", rat.pk), {"photo": upload(data)})
    assert Attendance.objects.get().member == person


def test_a_phone_photo_with_a_second_picture_mpo_is_read_as_a_jpeg(officer_client, kelurahan_a):
    person = member(kelurahan_a, 1)
    rat = meeting(kelurahan_a)
    buf = io.BytesIO()
    card_photo(2000, 1500).save(buf, "MPO", save_all=True, append_images=[Image.new("RGB", (200, 150))])
    assert Image.open(io.BytesIO(buf.getvalue())).format == "MPO"
    officer_client.post(url("meeting_attendance", rat.pk), {"photo": upload(buf.getvalue())})
    assert Attendance.objects.get().member == person


# --- the child's limits, each with the checks before it out of the way -----------------------

@pytest.fixture
def no_checks(monkeypatch):
    """Scans and pixels unchecked: only the child's own limits stand."""
    monkeypatch.setattr(qr_photo, "PHOTO_MAX_SCANS", 1_000_000)
    monkeypatch.setattr(qr_photo, "PHOTO_MAX_PIXELS_SEVERAL_SCANS", 10**9)


def slow_jpeg():
    """4 MP progressive with its last scan repeated 3,000 times: many seconds of decoding."""
    return with_last_scan_repeated(jpeg(Image.new("L", (2000, 2000), 200), progressive=True), 3000)


def test_a_decoder_past_its_cpu_time_is_killed_and_the_photo_refused(no_checks, monkeypatch, caplog):
    monkeypatch.setattr(qr_photo, "PHOTO_DECODER_CPU_SECONDS", 1)
    refusal, log = stopped(slow_jpeg(), caplog)
    assert refusal.code == "over_limits"
    assert refusal.messages == ["The photo could not be read within the server's limits: take it again at a lower "
                                "resolution, or type the member number."]
    assert f"exit status -{signal.SIGXCPU:d}" in log  # the kernel's CPU limit, in the child


def test_a_decoder_past_its_time_is_killed_by_the_worker(no_checks, monkeypatch, caplog):
    monkeypatch.setattr(qr_photo, "PHOTO_DECODER_SECONDS", 0.3)
    refusal, log = stopped(slow_jpeg(), caplog)
    assert refusal.code == "over_limits"
    assert f"timed out (exit status -{signal.SIGKILL:d})" in log


def test_a_decoder_out_of_memory_refuses_the_photo(no_checks, monkeypatch, caplog):
    """3000 x 3000 at 4:4:4 in several scans: 54 MB of coefficients, past a 64 MB child."""
    monkeypatch.setattr(qr_photo, "PHOTO_DECODER_MEMORY_MB", 64)
    data = jpeg(Image.new("RGB", (3000, 3000), (200, 30, 40)), progressive=True, subsampling=0)
    refusal, log = stopped(data, caplog)
    assert refusal.code == "over_limits"
    assert "limits ('memory',)" in log


def test_the_limits_leave_room_under_the_servers_timeout():
    """gunicorn kills a worker after 30 s (its default, docs/deploy.md)."""
    assert qr_photo.PHOTO_DECODER_CPU_SECONDS <= qr_photo.PHOTO_DECODER_SECONDS <= 10


# --- counting scans --------------------------------------------------------------------------

def test_scans_are_counted_as_libjpeg_reads_them():
    photo = Image.new("RGB", (64, 48), "#8a7f70")
    assert qr_decoder.jpeg_scans(jpeg(photo), 32) == (1, 0xC0)
    assert qr_decoder.jpeg_scans(jpeg(photo, progressive=True), 32) == (10, 0xC2)
    assert qr_decoder.jpeg_scans(jpeg(photo.convert("L"), progressive=True), 32) == (6, 0xC2)
    repeated = with_last_scan_repeated(jpeg(photo, progressive=True), 100)
    assert qr_decoder.jpeg_scans(repeated, 32) == (33, 0xC2)  # counted up to the limit, plus one


def test_markers_inside_a_segment_are_not_counted():
    """An EXIF thumbnail is a whole JPEG inside the APP1 segment: its SOS is not a scan."""
    photo = Image.new("RGB", (64, 48), "#8a7f70")
    thumbnail = jpeg(photo.resize((16, 12)), progressive=True)
    exif = Image.Exif()
    data = jpeg(photo, exif=exif.tobytes() + thumbnail)
    assert thumbnail in data
    assert qr_decoder.jpeg_scans(data, 32) == (1, 0xC0)


def test_a_jpeg_of_endless_tiny_segments_counts_as_too_many_scans():
    data = jpeg(Image.new("L", (16, 16)))
    padded = data[:2] + b"\xff\xfe\x00\x02" * 100_000 + data[2:]  # 100,000 empty comments
    assert qr_decoder.jpeg_scans(padded, 32) == (33, None)
