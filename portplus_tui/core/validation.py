"""Validation and normalisation of raw user input (pure functions, standard library only).

Every ``normalize_*`` / ``parse_*`` function takes the raw text of one form field and either
returns the normalised value or raises :class:`~portplus_tui.core.errors.ValidationError`
whose ``field`` is the ``field`` argument and whose ``ja`` / ``en`` messages name the problem.

Rules shared by every field:

- Lone surrogates (broken UTF-16, e.g. from a bad paste) are refused.
- Control and format characters are refused: Unicode categories ``Cc`` (NUL, ESC, tab,
  newline, DEL, C1 controls) and ``Cf`` (zero-width space/joiner, soft hyphen, BOM, bidi
  controls such as U+202E), and the line/paragraph separators U+2028 / U+2029.
  Only :func:`normalize_note` allows newlines and tabs.
- Text is normalised with NFKC (full-width letters and digits become half-width,
  half-width katakana becomes full-width, the ideographic space a plain space), except
  notes, which are prose and only get NFC so the writer's full-width punctuation stays.
- Surrounding whitespace is stripped. Lengths are counted in characters (code points)
  after normalisation.

All results are idempotent: validating a returned value again gives the same value.
``None`` is treated as empty text; any other non-``str`` (except where documented) is a
programming error and raises ``TypeError``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from portplus_tui.core.errors import ValidationError
from portplus_tui.core.messages import FIELD_LABELS, texts

__all__ = [
    "MEMBER_NO_PATTERN",
    "email_key",
    "mask_email",
    "normalize_address",
    "normalize_email",
    "normalize_member_no",
    "normalize_name",
    "normalize_note",
    "normalize_phone",
    "parse_contract_ports",
    "parse_on_off",
    "parse_ports",
    "parse_role",
]

# --------------------------------------------------------------------------------------
# Field labels (Japanese, English) used in messages.

_LABELS = FIELD_LABELS  # core/messages.py


def _label(field: str | None, default: tuple[str, str] | None = None) -> tuple[str, str]:
    if field is not None and field in _LABELS:
        return _LABELS[field]
    if default is not None:
        return default
    name = str(field) if field else "value"
    return (name, name)


def _err(ja: str, en: str, field: str | None) -> ValidationError:
    return ValidationError(ja, en, field=field)


# --------------------------------------------------------------------------------------
# Character checks and normalisation shared by every field.

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
_NOTE_ALLOWED_CONTROLS = frozenset({"\n", "\t"})

# Dash-like characters a Japanese IME or a copy from a web page produces where an ASCII
# hyphen is meant (member numbers, phone numbers). NFKC already maps U+FF0D and U+FE63.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\ufe58"
_DASH_TABLE = str.maketrans({c: "-" for c in _DASHES})


def _check_chars(s: str, field: str | None, label: tuple[str, str], *, note: bool = False) -> None:
    """Refuse lone surrogates and control/format characters (see module docstring)."""
    if s.isprintable():  # fast path; isprintable() is also False for Zs/Co/Cn, allowed below
        return
    ja, en = label
    for ch in s:
        cat = unicodedata.category(ch)
        if cat == "Cs":
            raise _err(
                *texts('validation.check_chars', ja=ja, en=en),
                field,
            )
        if cat in _REFUSED_CATEGORIES and not (note and ch in _NOTE_ALLOWED_CONTROLS):
            if note:
                raise _err(
                    *texts('validation.check_chars.3', ja=ja, en=en),
                    field,
                )
            raise _err(
                *texts('validation.check_chars.2', ja=ja, en=en),
                field,
            )


def _as_text(text: object) -> str:
    if text is None:
        return ""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    return text


def _clean(text: object, field: str | None, label: tuple[str, str], *,
           form: Literal["NFC", "NFD", "NFKC", "NFKD"] = "NFKC",
           note: bool = False) -> str:
    """Check characters, normalise (NFKC unless told), strip; checks the result again."""
    s = _as_text(text)
    if note:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    _check_chars(s, field, label, note=note)
    s = unicodedata.normalize(form, s).strip()
    _check_chars(s, field, label, note=note)
    return s


def _check_length(s: str, max_len: int, field: str | None, label: tuple[str, str]) -> None:
    if len(s) > max_len:
        ja, en = label
        raise _err(
            *texts('validation.check_length', ja=ja, max_len=max_len, length=len(s), en=en),
            field,
        )


def _required(ja: str, en: str, field: str | None) -> ValidationError:
    return _err(*texts('validation.required', ja=ja, en=en), field)


# --------------------------------------------------------------------------------------
# 会員番号

MEMBER_NO_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{2,19}", re.ASCII)
"""会員番号 after NFKC and upper-casing: 3–20 ASCII letters, digits and hyphens, starting
with a letter or digit (``^[A-Z0-9][A-Z0-9-]{2,19}$``), e.g. ``M97-00339``."""

_MEMBER_NO_HINT_JA = "半角英数字とハイフン3~20文字、先頭は英数字。例: M97-00339"
_MEMBER_NO_HINT_EN = "3-20 letters, digits and hyphens, starting with a letter or digit, e.g. M97-00339"


def normalize_member_no(text: str, field: str = "member_no") -> str:
    """Normalise a 会員番号 (member number), e.g. ``"ｍ９７－００３３９"`` → ``"M97-00339"``.

    Member numbers are matched case-insensitively, so the result is upper case. After NFKC,
    dash variants (U+2010–U+2015, U+2212 minus, U+30FC ー) become ``-``; the value must then
    match :data:`MEMBER_NO_PATTERN` (``^[A-Z0-9][A-Z0-9-]{2,19}$``). Non-ASCII letters are
    refused before upper-casing, so e.g. a dotless ``ı`` never turns into ``I``.
    """
    label = _label(field, _LABELS["member_no"])
    s = _clean(text, field, label).translate(_DASH_TABLE)
    if not s:
        raise _err(*texts('validation.normalize_member_no'), field)
    if len(s) > 20:
        raise _err(
            *texts('validation.normalize_member_no.2',
                hint_ja=_MEMBER_NO_HINT_JA,
                hint_en=_MEMBER_NO_HINT_EN),
            field,
        )
    if len(s) < 3:
        raise _err(
            *texts('validation.normalize_member_no.3',
                hint_ja=_MEMBER_NO_HINT_JA,
                hint_en=_MEMBER_NO_HINT_EN),
            field,
        )
    if not re.fullmatch(r"[A-Za-z0-9-]+", s, re.ASCII):
        raise _err(
            *texts('validation.normalize_member_no.4',
                hint_ja=_MEMBER_NO_HINT_JA,
                hint_en=_MEMBER_NO_HINT_EN),
            field,
        )
    s = s.upper()
    if not MEMBER_NO_PATTERN.fullmatch(s):
        raise _err(
            *texts('validation.normalize_member_no.5',
                hint_ja=_MEMBER_NO_HINT_JA,
                hint_en=_MEMBER_NO_HINT_EN),
            field,
        )
    return s


# --------------------------------------------------------------------------------------
# Port counts

_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def _parse_count(text: object, lo: int, hi: int, field: str, label: tuple[str, str]) -> int:
    ja, en = label
    range_err = _err(
        *texts('validation.parse_count', ja=ja, lo=lo, hi=hi, en=en),
        field,
    )
    if isinstance(text, bool):
        raise TypeError("expected str or int, got bool")
    if isinstance(text, int):
        if lo <= text <= hi:
            return text
        raise range_err
    s = _clean(text, field, label)
    if not s:
        raise _required(ja, en, field)
    if not _DIGITS.fullmatch(s):
        raise _err(
            *texts('validation.parse_count.2', ja=ja, en=en),
            field,
        )
    significant = s.lstrip("0")
    # Refuse absurdly long numbers before int(): no huge conversion, no int-digits limit.
    if len(significant) > len(str(hi)):
        raise range_err
    value = int(significant or "0")
    if not lo <= value <= hi:
        raise range_err
    return value


def parse_ports(text: str | int, min_ports: int = 1, max_ports: int = 999,
                field: str = "ports") -> int:
    """Parse 追加ポート数: digits only (full-width digits accepted), ``min_ports``–``max_ports``.

    An ``int`` in range is returned unchanged (so the result re-validates to itself).
    """
    return _parse_count(text, min_ports, max_ports, field, _LABELS["ports"])


def parse_contract_ports(text: str | int, field: str = "ports") -> int:
    """Parse 契約ポート数: digits only (full-width accepted), 0–100000."""
    return _parse_count(text, 0, 100_000, field, _LABELS["contract_ports"])


# --------------------------------------------------------------------------------------
# Free text: names, address, note


def normalize_name(text: str, field: str = "name", max_len: int = 50,
                   required: bool = True) -> str:
    """Normalise a single-line name (担当者名, 会員名, 申込者, 部署...).

    The label in messages comes from ``field`` ("name" → 担当者名, "member_name" /
    "company_name" → 会員名, "applicant" → 申込者, "department" → 部署). An empty value
    is refused when ``required``, else ``""`` is returned.
    """
    return _one_line(text, field, _label(field, ("名前", "name")), max_len, required)


def normalize_address(text: str, field: str = "address", max_len: int = 200, *,
                      required: bool = True) -> str:
    """Normalise a single-line 住所 (address), at most ``max_len`` characters.

    Required by default (a company has an address, R-TEN-1); ``required=False`` returns
    ``""`` for an empty value.
    """
    return _one_line(text, field, _label(field, _LABELS["address"]), max_len, required)


def _one_line(text: str, field: str, label: tuple[str, str], max_len: int, required: bool) -> str:
    """A normalised one-line value of at most ``max_len`` characters; empty: refused
    when ``required``, else ``""``."""
    s = _clean(text, field, label)
    if not s:
        if required:
            raise _required(*label, field)
        return ""
    _check_length(s, max_len, field, label)
    return s


def normalize_note(text: str, field: str = "note", max_len: int = 2000) -> str:
    """Normalise the company Note: multi-line free text, may be empty.

    Newlines and tabs are allowed (CR LF and lone CR become LF); no other control
    character. Only NFC is applied (not NFKC): a note is prose, so full-width punctuation
    and symbols the writer chose stay as typed.
    """
    label = _label(field, _LABELS["note"])
    s = _clean(text, field, label, form="NFC", note=True)
    _check_length(s, max_len, field, label)
    return s


# --------------------------------------------------------------------------------------
# E-mail

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*", re.ASCII)
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)


def normalize_email(text: str, field: str = "login_id", max_len: int = 254) -> str:
    """Check an e-mail address (ログインID) and normalise it.

    After NFKC and strip: ASCII only; exactly one ``@``; local part in dot-atom form
    (RFC 5322 atext separated by single dots, at most 64 characters, no quoted strings);
    domain of at least two dot-separated labels, each 1–63 letters/digits/hyphens not
    starting or ending with a hyphen, a top-level label that is not all digits, no domain
    literals. Returns the local part as typed and the domain lower-cased.
    """
    label = _label(field, _LABELS["email"])
    ja, en = label
    s = _clean(text, field, label)
    if not s:
        raise _required(ja, en, field)
    if len(s) > max_len:
        raise _err(
            *texts('validation.normalize_email', ja=ja, max_len=max_len, en=en),
            field,
        )
    if not s.isascii():
        raise _err(
            *texts('validation.normalize_email.2', ja=ja, en=en),
            field,
        )
    if " " in s:
        raise _err(
            *texts('validation.normalize_email.3', ja=ja, en=en),
            field,
        )
    if s.count("@") != 1:
        raise _err(
            *texts('validation.normalize_email.4', ja=ja, en=en),
            field,
        )
    local, _, domain = s.partition("@")
    if not local or len(local) > 64 or not _LOCAL.fullmatch(local):
        raise _err(
            *texts('validation.normalize_email.5', ja=ja, en=en),
            field,
        )
    labels = domain.split(".")
    if (
        len(domain) > 253
        or len(labels) < 2
        or not all(_LABEL.fullmatch(lab) for lab in labels)
        or labels[-1].isdigit()
    ):
        raise _err(
            *texts('validation.normalize_email.6', ja=ja, en=en),
            field,
        )
    return f"{local}@{domain.lower()}"


def email_key(email: str) -> str:
    """Key for case-insensitive uniqueness of login IDs: the whole address lower-cased.

    Also NFKC-normalises and strips, so raw and normalised spellings give the same key.
    """
    return unicodedata.normalize("NFKC", _as_text(email)).strip().lower()


def mask_email(email: str) -> str:
    """Mask an address for display as the manual does: ``hanako@ntt-biz.com`` →
    ``h*****@nt*****``.

    First character of the local part and first two of the domain, each followed by
    always five stars (the length does not leak). Never shows a whole local part or a
    whole first domain label: a 1-character local part is shown as ``*****``, and the
    domain shows at most ``len(first label) - 1`` characters (``ab.jp`` → ``a*****``).
    Never raises; text without ``@`` (or not a ``str``) is masked completely.
    """
    s = email.strip() if isinstance(email, str) else ""
    local, at, domain = s.rpartition("@")
    if not at:
        return "*****@*****"
    first_label = domain.split(".", 1)[0]
    show_local = local[: min(1, max(len(local) - 1, 0))]
    show_domain = domain[: min(2, max(len(first_label) - 1, 0))]
    return f"{show_local}*****@{show_domain}*****"


# --------------------------------------------------------------------------------------
# Phone, role, on/off

_PHONE_CHARS = re.compile(r"[0-9+() -]+", re.ASCII)


def normalize_phone(text: str, field: str = "phone", required: bool = False) -> str:
    """Normalise a 電話番号: digits, ``-``, ``+``, ``(``, ``)`` and spaces.

    Full-width digits and dash variants (ー, −, ‐...) become ASCII. 6–20 characters with
    at least 6 digits; ``+`` only as the first character. Empty is allowed (``""``) unless
    ``required``.
    """
    label = _label(field, _LABELS["phone"])
    ja, en = label
    s = _clean(text, field, label).translate(_DASH_TABLE)
    if not s:
        if required:
            raise _required(ja, en, field)
        return ""
    if not _PHONE_CHARS.fullmatch(s):
        raise _err(
            *texts('validation.normalize_phone', ja=ja, en=en),
            field,
        )
    if "+" in s[1:]:
        raise _err(
            *texts('validation.normalize_phone.2', ja=ja, en=en),
            field,
        )
    if len(s) > 20:
        raise _err(
            *texts('validation.normalize_phone.3', ja=ja, length=len(s), en=en),
            field,
        )
    digits = sum(c.isdigit() for c in s)
    if len(s) < 6 or digits < 6:
        raise _err(
            *texts('validation.normalize_phone.4', ja=ja, en=en),
            field,
        )
    return s


_ROLES = ("admin", "user")


def parse_role(text: str, field: str = "role") -> str:
    """Parse 権限: ``"admin"`` or ``"user"`` (case-insensitive, full-width accepted)."""
    label = _label(field, _LABELS["role"])
    ja, en = label
    s = _clean(text, field, label)
    if not s:
        raise _err(
            *texts('validation.parse_role', ja=ja, en=en),
            field,
        )
    low = s.lower()
    if low not in _ROLES:
        raise _err(
            *texts('validation.parse_role.2', ja=ja, en=en),
            field,
        )
    return low


_ON = frozenset({"on", "yes", "true", "1"})
_OFF = frozenset({"off", "no", "false", "0"})


def parse_on_off(text: str | bool, field: str) -> bool:
    """Parse an on/off switch: on/off, yes/no, true/false, 1/0 (case-insensitive).

    A ``bool`` is returned unchanged (so the result re-validates to itself).
    """
    if isinstance(text, bool):
        return text
    label = _label(field, (f"{field}の値", f"value for {field}"))
    ja, en = label
    s = _clean(text, field, label).lower()
    if s in _ON:
        return True
    if s in _OFF:
        return False
    if not s:
        raise _err(
            *texts('validation.parse_on_off.2', ja=ja, en=en),
            field,
        )
    raise _err(
        *texts('validation.parse_on_off', ja=ja, en=en),
        field,
    )
