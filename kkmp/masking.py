"""How a NIK or KK number is shown to someone who may not read it whole: `mask`. In the ground
layer because the log formatter (`kkmp.logging`), the audit trail, the members' pages and every
export mask numbers the same way."""


def mask(number):
    """`6471051010900003` → `6471••••••••0003`: enough to tell numbers apart, not to use one."""
    if not number:
        return ""
    number = str(number)
    if len(number) <= 8:
        return "•" * len(number)
    return number[:4] + "•" * (len(number) - 8) + number[-4:]


def group_digits(number, size=4):
    """`6471057101682201` → `6471 0571 0168 2201`, read aloud four digits at a time; a masked
    number groups the same way (`6471 •••• •••• 2201`). Anything that is not a plain run of
    digits and dots (a member number `64.71.05.1002-00012`, an empty value) comes back as it is:
    only how a number is shown changes, never how it is stored or typed."""
    if not number:
        return ""
    number = str(number)
    if len(number) < 9 or not all(c.isdigit() or c == "•" for c in number):
        return number
    return " ".join(number[i:i + size] for i in range(0, len(number), size))
