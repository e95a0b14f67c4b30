"""The QR photo decoder's own process: Pillow and zxing-cpp on an uploaded photo, behind limits.

`koperasi.qr_photo.read_qr` runs this file as a job of `kkmp/isolated_child.py` (capped in memory,
CPU and wall-clock time, see `kkmp.isolated`): it writes the photo to the child's stdin and
reads one message back. The limits come as one JSON argument (`koperasi.qr_photo.PHOTO_*`).

Before a pixel is decoded: only the formats we accept are opened (`Image.open(formats=...)`:
Pillow would otherwise try every plugin it has, EPS through Ghostscript among them); a JPEG's
markers are walked to count its scans (SOS: a camera's progressive JPEG has about 10; a crafted
one repeats a scan thousands of times, and libjpeg decodes every one) and to read its frame type
(only the DCT ones a camera writes); then the pixels are checked against the limit for its
kind. A JPEG of one scan is decoded straight at a reduced scale (`Image.draft`); one of several
scans (progressive, or its components in separate scans) makes libjpeg keep every coefficient of
the whole image in memory, scaled or not, so it has a far lower limit; other formats are decoded
whole.

It imports neither Django nor the project: the standard library, Pillow and zxing-cpp.

Its one message:
  ("found", [text, ...], peak)       the QR codes' texts (maybe none); `peak`: peak RSS in KiB
  ("refused", code, params, peak)    not read: "not_image", "too_many_scans" {scans},
                                     "too_many_pixels" {width, height, limit}
  ("limits", "memory", peak)         out of memory (the parent refuses the photo: server limits)
  ("internal", detail)               this process is broken (Pillow missing…): a server fault
A child killed by its limits ends without a message.
"""

import io
import json
import re
import resource

# A JPEG marker as libjpeg finds one: 0xFF (the last of any fill bytes 0xFF) then a byte that
# is neither a stuffed zero nor a restart marker (RST0-7, inside the entropy-coded data). No
# repetition in the pattern: the search stays linear over any run of 0xFF.
MARKER = re.compile(rb"\xff[^\x00\xff\xd0-\xd7]")
SOS, EOI, TEM = 0xDA, 0xD9, 0x01
# Baseline, extended sequential, progressive (Huffman), and the same two with arithmetic coding:
# the frames libjpeg decodes from DCT coefficients and can scale. Not lossless or hierarchical.
DCT_FRAMES = frozenset({0xC0, 0xC1, 0xC2, 0xC9, 0xCA})
ALL_FRAMES = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
# Markers walked at most, besides three per scan allowed (a progressive JPEG has a DHT before
# most scans): a camera's JPEG has a few dozen (APPn, DQT, DHT, SOF, SOS). The walk stays short
# whatever the file: the data between markers is skipped by the regular expression.
MAX_MARKERS = 1_000


def jpeg_scans(data, stop_after):
    """(scans, frame) of the JPEG `data`: how many scans (SOS markers) before its end (EOI), up
    to `stop_after` + 1 (the count stops there), and its frame marker (0xC0…, None if none).
    More markers than MAX_MARKERS and three per scan allowed count as too many scans."""
    scans, frame, pos = 0, None, 2  # after SOI
    for _walked in range(MAX_MARKERS + 3 * stop_after):
        found = MARKER.search(data, pos)
        if found is None:
            break
        marker, after = found.group()[1], found.end()
        if marker == EOI:
            break
        if marker == TEM:
            pos = after
            continue
        if marker == SOS:
            scans += 1
            if scans > stop_after:
                break
        elif marker in ALL_FRAMES and frame is None:
            frame = marker
        pos = after + max(int.from_bytes(data[after:after + 2], "big"), 2)  # the segment's length
    else:
        return stop_after + 1, frame
    return scans, frame


def _address_space_left():
    """Bytes this process may still map under its RLIMIT_AS."""
    limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    if limit == resource.RLIM_INFINITY:
        return limit
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return limit - int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return limit


def _refused(channel, code, **params):
    channel.send(("refused", code, params, channel.peak_kib()))
    return 0


def run(channel, limits):
    limits = json.loads(limits)
    try:
        import zxingcpp
        from PIL import Image
    except BaseException as exc:  # noqa: BLE001  (a broken installation, not a bad photo)
        channel.send(("internal", f"{type(exc).__name__}: {exc}"[:300]))
        return 4
    data = channel.stdin.read()
    Image.MAX_IMAGE_PIXELS = None  # the limits below are far lower, and say the size
    coefficients = 0  # bytes libjpeg keeps for a JPEG of several scans
    try:
        with Image.open(io.BytesIO(data), formats=limits["formats"]) as image:
            width, height = image.size
            limit = limits["max_pixels_full_decode"]
            if image.format in ("JPEG", "MPO"):  # MPO: a phone's JPEG with a second picture
                scans, frame = jpeg_scans(data, limits["max_scans"])
                if scans > limits["max_scans"]:
                    return _refused(channel, "too_many_scans", scans=scans)
                if frame not in DCT_FRAMES:
                    return _refused(channel, "not_image")
                if scans > 1 or image.info.get("progressive"):
                    limit = limits["max_pixels_several_scans"]
                    # 2 bytes per pixel and component at most (subsampled components have fewer)
                    coefficients = width * height * 2 * image.layers
                else:
                    limit = limits["max_pixels"]
            if width * height > limit:
                return _refused(channel, "too_many_pixels", width=width, height=height, limit=limit)
            side = limits["decode_side"]
            image.draft("L", (side, side))  # JPEG: decoded straight at a smaller scale
            grey = image.convert("L")  # before shrinking: Pillow would copy an RGBA image to shrink it
            grey.thumbnail((side, side))
    except MemoryError:
        grey = image = None  # free what can be freed, then say so
        channel.send(("limits", "memory", channel.peak_kib()))
        return 3
    except Exception:  # noqa: BLE001  (Pillow raises many types on a damaged or crafted file)
        if coefficients > _address_space_left():
            channel.send(("limits", "memory", channel.peak_kib()))  # libjpeg could not allocate them: it says only "broken"
            return 3
        return _refused(channel, "not_image")
    try:
        found = zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode)
    except MemoryError:
        channel.send(("limits", "memory", channel.peak_kib()))
        return 3
    except Exception:  # noqa: BLE001  (the decoder's own errors: no QR code for us)
        found = []
    texts = [code.text for code in found if code.valid]
    channel.send(("found", texts, channel.peak_kib()))
    return 0
