import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CONTEXT_WORDS = (
    "kkmp", "koperasi", "kelurahan", "merahputih", "merah", "putih", "balikpapan", "kaltim",
    "dkumkmp", "anggota", "pengurus", "admin", "password", "sandi", "rahasia", "indonesia",
)  # fmt: skip


class ContextPasswordValidator:
    """Refuse passwords made of the words everyone here would guess first (`kkmpbalikpapan`,
    `Balikpapan2025!`): what is left after removing them, digits and symbols must be 4+ letters."""

    def validate(self, password, user=None):
        rest = re.sub(r"[^a-z]", "", password.lower())
        for word in sorted(CONTEXT_WORDS, key=len, reverse=True):
            rest = rest.replace(word, "")
        if len(rest) < 4:
            raise ValidationError(
                _("This password is built from words anyone would guess here (KKMP, Balikpapan, koperasi...)."),
                code="password_context",
            )

    def get_help_text(self):
        return _("Your password cannot be made of words such as KKMP, Balikpapan or koperasi plus numbers.")
