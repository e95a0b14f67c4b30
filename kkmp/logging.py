"""Log output that never carries a full NIK or KK number (UU 27/2022): the formatter masks
every 16-digit run in the finished line, tracebacks and database error details included."""

import logging
import re

from members.identity import mask

SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


def mask_numbers(text):
    return SIXTEEN_DIGITS.sub(lambda found: mask(found.group()), text)


class MaskingFormatter(logging.Formatter):
    def format(self, record):
        return mask_numbers(super().format(record))
