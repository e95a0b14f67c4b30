"""Template filters of the member pages: a number shown in full or masked, for the reader."""

from django import template

from kkmp.masking import mask

register = template.Library()


@register.filter
def number_for(value, show_full):
    """`{{ member.nik|number_for:show_full }}`: the full number, or its masked form."""
    return value if show_full else mask(value)
