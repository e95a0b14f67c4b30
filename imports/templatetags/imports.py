"""Template filters of the import pages: a preview row's value by field name."""

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ row|get_item:name }}`: a value of a preview row by field name."""
    return (mapping or {}).get(key, "")
