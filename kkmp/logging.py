"""Log output that never carries a full NIK or KK number (UU 27/2022): the formatter masks
every 16-digit run in the finished line, tracebacks and database error details included."""

import logging
import re

SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")


def mask_numbers(text):
    return SIXTEEN_DIGITS.sub(r"\1••••••••\2", text)


class MaskingFormatter(logging.Formatter):
    def format(self, record):
        return mask_numbers(super().format(record))
