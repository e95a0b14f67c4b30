"""Status-like filters of the member list that a higher app provides (the layers run one way:
members knows nothing of the simpanan ledger). `STATUS_FILTERS` maps a value of the list's
*status* choice to its label and a function narrowing a member queryset; the providing app
registers it in its `ready()` (koperasi: "menunggak", the members in arrears)."""

STATUS_FILTERS = {}


def register_status_filter(value, label, narrow):
    """Offer `value` (labelled `label`) in the member list's status filter; `narrow(members)`
    returns the members it keeps."""
    STATUS_FILTERS[value] = (label, narrow)
