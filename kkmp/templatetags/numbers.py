"""Numbers people read aloud, shown in groups that never break across lines: NIK and KK numbers
(`{{ member.nik|grouped }}`, masked or not) and member numbers (`{{ member.member_number|grouped }}`).
The markup is a `<span class="num-group">` (CSS: no line break inside, tabular digits) holding
the groups; `copy=True` (`|grouped_copy`) adds `data-copy` with the plain digits, for the copy
button the page's script adds (static/js/copy.js) where an officer may read the whole number."""

from django import template
from django.utils.html import format_html

from kkmp.masking import group_digits, mask

register = template.Library()


@register.filter
def grouped(value):
    """A number in groups of four (`6471 0571 0168 2201`) inside one unbreakable span."""
    if not value:
        return ""
    return format_html('<span class="num-group">{}</span>', group_digits(value))


@register.filter
def grouped_copy(value):
    """As `grouped`, offering a copy button (the plain number, without spaces) once the script runs."""
    if not value:
        return ""
    return format_html('<span class="num-group" data-copy="{}">{}</span>', value, group_digits(value))


@register.filter
def grouped_for(value, show_full):
    """`{{ member.nik|grouped_for:show_full }}`: the whole number grouped with a copy button, or
    its masked form grouped (`6471 •••• •••• 2201`)."""
    if not value:
        return ""
    return grouped_copy(value) if show_full else grouped(mask(value))
