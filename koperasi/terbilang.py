"""Amounts in Indonesian words, as a receipt (kuitansi) writes them: 125000 → "seratus dua puluh
lima ribu rupiah". Always Indonesian, whatever the page's language: it is the legal wording."""

ONES = ["", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh", "sebelas"]
SCALES = [(10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"), (10**3, "ribu")]


def _below_thousand(n):
    words = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words.append("seratus" if hundreds == 1 else f"{ONES[hundreds]} ratus")
    if rest < 12:
        if rest:
            words.append(ONES[rest])
    elif rest < 20:
        words.append(f"{ONES[rest - 10]} belas")
    else:
        tens, ones = divmod(rest, 10)
        words.append(f"{ONES[tens]} puluh")
        if ones:
            words.append(ONES[ones])
    return " ".join(words)


def words(n):
    """`n` (a whole number, not negative, below 10^15) in Indonesian words: 1000 is "seribu",
    not "satu ribu"; 0 is "nol"."""
    if not isinstance(n, int) or n < 0 or n >= 10**15:
        raise ValueError(f"cannot write {n!r} in words")
    if n == 0:
        return "nol"
    parts = []
    for scale, name in SCALES:
        count, n = divmod(n, scale)
        if count:
            parts.append("seribu" if scale == 1000 and count == 1 else f"{_below_thousand(count)} {name}")
    if n:
        parts.append(_below_thousand(n))
    return " ".join(parts)


def rupiah_words(amount):
    """"seratus ribu rupiah" for 100000 (a negative amount: "minus ...")."""
    prefix = "minus " if amount < 0 else ""
    return f"{prefix}{words(abs(amount))} rupiah"
