"""Reading the member card's QR code from a photo, for attendance at a members' meeting
(docs/meetings.md): the limits, and the decoding in an isolated child process
(`koperasi/qr_decoder.py`, run through `kkmp.isolated`) so that a crafted image costs the child
its CPU, memory or time limit, never the web worker. Every refusal is a `ValidationError` with
a message saying what to do instead (take the photo again, or type the member number)."""

import json
import logging
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kkmp.isolated import Child, ChildStopped, MessageTooLong

log = logging.getLogger(__name__)

DECODER = Path(__file__).with_name("qr_decoder.py")

# A photo of a member card: phones take 3 to 8 MB JPEGs; past this it is refused unread.
PHOTO_MAX_BYTES = 10 * 1024 * 1024
# The formats Pillow opens for us; no other plugin is tried (its EPS one runs Ghostscript). A
# phone's camera gives the page a JPEG (MPO, a JPEG with a second picture, opens as JPEG).
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")
# Pixels of a photo we agree to decode (a 50 MP phone camera is 8160 x 6120), checked from the
# header before any pixel is decoded. A JPEG of one scan is decoded straight at a reduced scale
# (`Image.draft`): 60 MP.
PHOTO_MAX_PIXELS = 60_000_000
# A JPEG of several scans (progressive, or its components in separate scans) makes libjpeg keep
# the whole image's coefficients, 2 bytes per pixel and component, even when it scales: a 60 MP
# one at 4:4:4 took 429 MB. 12 MP (4000 x 3000) is at most 72 MB of them (96 MB for CMYK).
PHOTO_MAX_PIXELS_SEVERAL_SCANS = 12_000_000
# Other formats are decoded whole before they are shrunk (24 MP is 96 MB as RGBA).
PHOTO_MAX_PIXELS_FULL_DECODE = 24_000_000
# Scans (SOS markers) of a JPEG: one for a camera's baseline JPEG, about 10 for a progressive
# one. libjpeg decodes every scan over the whole image: a 60 MP JPEG with one scan repeated
# 1,000 times kept a worker busy for 54 s.
PHOTO_MAX_SCANS = 32
# The photo is shrunk to this many pixels on its longer side before the QR code is looked for:
# a card held before the camera is still large enough, and decoding stays fast.
PHOTO_DECODE_SIDE = 1600
# The decoder's child process: its address space, CPU time and the wall-clock time the web
# worker waits for it (then kills it), well under gunicorn's 30 s worker timeout. The costliest
# photos we accept took 1 s and 157 MiB (12 MP progressive CMYK at 4:4:4; a 24 MP PNG: 139 MiB),
# a 4000 x 3000 phone photo 0.5 s and 43 MiB; the child's start-up 0.1 s.
PHOTO_DECODER_MEMORY_MB = 256
PHOTO_DECODER_CPU_SECONDS = 4
PHOTO_DECODER_SECONDS = 8


def photo_too_large():
    return ValidationError(
        _("The photo is larger than %(mb)d MB: take it again at a lower resolution, or type the member number.")
        % {"mb": PHOTO_MAX_BYTES // (1024 * 1024)}, code="too_large")


def _not_image():
    return ValidationError(
        _("The file is not an image, or is damaged: take a photo of the member card's QR code again."), code="not_image")


def _over_limits():
    return ValidationError(
        _("The photo could not be read within the server's limits: take it again at a lower resolution, or type the "
          "member number."), code="over_limits")


def _refusal(code, params):
    if code == "too_many_pixels":
        return ValidationError(
            _("The image is too large to read (%(width)d × %(height)d pixels; at most %(megapixels)d million for this "
              "photo): take the photo again at a lower resolution, or type the member number.")
            % {"width": params["width"], "height": params["height"], "megapixels": params["limit"] // 1_000_000},
            code="too_many_pixels")
    if code == "too_many_scans":
        return ValidationError(
            _("The photo is saved in more than %(max)d scans (a camera's photo has about 10): take the photo again with "
              "the phone's camera, or type the member number.") % {"max": PHOTO_MAX_SCANS}, code="too_many_scans")
    return _not_image()


def _limits():
    return json.dumps({
        "formats": list(PHOTO_FORMATS), "max_pixels": PHOTO_MAX_PIXELS,
        "max_pixels_several_scans": PHOTO_MAX_PIXELS_SEVERAL_SCANS,
        "max_pixels_full_decode": PHOTO_MAX_PIXELS_FULL_DECODE, "max_scans": PHOTO_MAX_SCANS,
        "decode_side": PHOTO_DECODE_SIDE,
    })


def _decode(data):
    """The decoder's message about `data` (see koperasi/qr_decoder.py), or the refusal when it
    was stopped by its limits."""
    started = time.monotonic()
    child = Child(DECODER, data, memory_mb=PHOTO_DECODER_MEMORY_MB, cpu_seconds=PHOTO_DECODER_CPU_SECONDS,
                  seconds=PHOTO_DECODER_SECONDS, args=[_limits()])
    try:
        message = child.recv(limit=1024 * 1024)
    except (ChildStopped, MessageTooLong) as stop:
        log.warning("QR photo decoder stopped (%s, %d bytes): %s", type(stop).__name__, len(data), stop)
        raise _over_limits() from None
    finally:
        child.close()
    kind = message[0]
    peak = message[-1] if kind in ("found", "refused", "limits") and isinstance(message[-1], int) else None
    outcome = f"{len(message[1])} code(s) found" if kind == "found" else f"{kind} {message[1:2]}"
    log.info("QR photo read: %s, %d bytes, %.2f s, decoder peak %s MiB", outcome, len(data),
             time.monotonic() - started, "?" if peak is None else peak // 1024)
    if kind == "limits":
        raise _over_limits()
    if kind not in ("found", "refused"):
        raise RuntimeError(f"the QR photo decoder is broken: {message!r:.300}")
    return message


def read_qr(upload):
    """The text of the QR code in the photo `upload` (an uploaded file), or a ValidationError
    saying what is wrong with it. Refused unread: a file larger than `PHOTO_MAX_BYTES`. The rest
    happens in the decoder's child process (`koperasi/qr_decoder.py`, limited to
    `PHOTO_DECODER_MEMORY_MB`, `PHOTO_DECODER_CPU_SECONDS` and `PHOTO_DECODER_SECONDS`): a
    format not in `PHOTO_FORMATS`, a JPEG of more than `PHOTO_MAX_SCANS` scans, and an image of
    more pixels than its kind's limit (`PHOTO_MAX_PIXELS`, `PHOTO_MAX_PIXELS_SEVERAL_SCANS`,
    `PHOTO_MAX_PIXELS_FULL_DECODE`) are refused before any pixel is decoded; the image is shrunk
    to `PHOTO_DECODE_SIDE` before the code is looked for."""
    if upload is None or not getattr(upload, "size", 0):
        raise ValidationError(_("The photo is empty: take it again."), code="empty")
    if upload.size > PHOTO_MAX_BYTES:
        raise photo_too_large()
    upload.seek(0)
    data = upload.read(PHOTO_MAX_BYTES + 1)
    if len(data) > PHOTO_MAX_BYTES:
        raise photo_too_large()
    message = _decode(data)
    if message[0] == "refused":
        if message[1] != "not_image":
            log.info("QR photo refused: %s %s", message[1], message[2])
        raise _refusal(message[1], message[2])
    texts = [text.strip() for text in message[1] if isinstance(text, str) and text.strip()]
    if not texts:
        raise ValidationError(_("No QR code found in the photo: hold the member card flat, fill the frame with its QR "
                                "code, and try again, or type the member number."), code="no_qr")
    return texts[0]
