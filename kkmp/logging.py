"""Log output that never carries a full NIK or KK number (UU 27/2022): the formatter masks
them in the finished line, tracebacks and database error details included.

Masked: every run of 16 digits (`6471051203900001`), and 16 digits written in groups with dots,
dashes or single spaces, the way people write them (`6471.0512.0390.0001`,
`6471-05-120390-0001`, `6471 0512 0390 0001`, `64.71.05.120390.0001`, mixtures).
Left alone: dates, times, IP addresses, request ids, durations and amounts. A written number
is taken as a NIK/KK number only when its groups follow the number's structure, that is its
separators stand after the 2nd, 4th, 6th, 8th, 10th or 12th digit (region 2+2+2, date 2+2+2,
serial 4: every way of grouping it falls on these), no group is a date (`2025-09-30`,
`30.09.2025`), and it is not glued to letters (`…-3456beef` in a UUID).
"""

import logging
import re

from kkmp.masking import mask

SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
# Digits in groups joined by one dot, dash or space: candidates for a written number.
DIGIT_RUN = re.compile(r"\d+(?:[.\- ]\d+)+")
GROUP_SEPARATOR = re.compile(r"[.\-]")
SEPARATOR_AFTER = frozenset({2, 4, 6, 8, 10, 12})
DATE = re.compile(
    r"(?:19|20)\d\d([-./])(?:0[1-9]|1[0-2])\1(?:0[1-9]|[12]\d|3[01])"
    r"|(?:0[1-9]|[12]\d|3[01])([-./])(?:0[1-9]|1[0-2])\2(?:19|20)\d\d"
)


def _shaped_like_a_number(words):
    """Do these space-separated words (16 digits in all) make a NIK/KK number?"""
    if any(DATE.fullmatch(word) for word in words):
        return False
    position = 0
    for index, word in enumerate(words):
        groups = GROUP_SEPARATOR.split(word)
        for group_index, group in enumerate(groups):
            position += len(group)
            last = index == len(words) - 1 and group_index == len(groups) - 1
            if not last and position not in SEPARATOR_AFTER:
                return False
    return True


def _written_numbers(text):
    """The (start, end) spans of the numbers written with separators in `text`."""
    for run in DIGIT_RUN.finditer(text):
        words = [(found.start() + run.start(), found.end() + run.start(), found.group())
                 for found in re.finditer(r"\S+", run.group())]
        counts = [sum(c.isdigit() for c in word) for _, _, word in words]
        if sum(counts) < 16:
            continue
        first = 0
        while first < len(words):
            total, last = 0, first
            while last < len(words) and total < 16:
                total += counts[last]
                last += 1
            start, end = words[first][0], words[last - 1][1]
            if total == 16 and _shaped_like_a_number([w for _, _, w in words[first:last]]) and _apart(text, start, end):
                yield start, end
                first = last
            else:
                first += 1


def _apart(text, start, end):
    """Not glued to a word: `NIK 6471.0512…` is a number, `…-1234-5678-9012-3456beef` is not."""
    if start and text[start - 1].isalnum():
        return False
    after = text[end:end + 2]
    if after[:1].isalnum():
        return False
    return not (after[:1] in ".-" and after[1:2].isalnum())


def mask_numbers(text):
    text = SIXTEEN_DIGITS.sub(lambda found: mask(found.group()), text)
    spans = list(_written_numbers(text))
    for start, end in reversed(spans):
        digits = re.sub(r"\D", "", text[start:end])
        text = text[:start] + mask(digits) + text[end:]
    return text


class MaskingFormatter(logging.Formatter):
    def format(self, record):
        # records that did not pass kkmp.middleware.RequestIdFilter still format
        record.request_id = getattr(record, "request_id", "-")
        record.request_ids = getattr(record, "request_ids", record.request_id)
        return mask_numbers(super().format(record))
