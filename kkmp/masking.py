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
