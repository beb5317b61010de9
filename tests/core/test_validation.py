"""Tests for portplus_tui.core.validation: examples for every rule, Hypothesis for totality."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portplus_tui.core.errors import ValidationError
from portplus_tui.core.validation import (
    MEMBER_NO_PATTERN,
    email_key,
    mask_email,
    normalize_address,
    normalize_email,
    normalize_member_no,
    normalize_name,
    normalize_note,
    normalize_phone,
    parse_contract_ports,
    parse_on_off,
    parse_ports,
    parse_role,
)

CONTROL_SAMPLES = [
    "\x00",  # NUL
    "\x1b",  # ESC
    "\x1b[31m",  # ESC sequence
    "\t",
    "\n",
    "\r",
    "\x7f",  # DEL
    "\x85",  # NEL (C1)
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\u00ad",  # soft hyphen
    "\ufeff",  # BOM / zero-width no-break space
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
]


def _raises(fn, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        fn(*args, **kwargs)
    err = info.value
    assert err.ja and err.en
    return err


# ======================================================================================
# 会員番号


class TestMemberNo:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("M97-00339", "M97-00339"),
            ("m97-00339", "M97-00339"),
            ("  M97-00339\u3000", "M97-00339"),
            ("ｍ９７－００３３９", "M97-00339"),  # full-width letters, digits, hyphen
            ("M97ー00339", "M97-00339"),  # katakana long-vowel mark typed by an IME
            ("M97\u221200339", "M97-00339"),  # minus sign
            ("M97\u201000339", "M97-00339"),  # Unicode hyphen
            ("ABC", "ABC"),  # 3 characters: the minimum
            ("A" + "-" * 19, "A" + "-" * 19),  # 20 characters: the maximum
            ("0AB-", "0AB-"),
        ],
    )
    def test_accepts_and_normalises(self, raw, expected):
        assert normalize_member_no(raw) == expected
        assert MEMBER_NO_PATTERN.fullmatch(expected)

    @pytest.mark.parametrize("raw", ["", "   ", "\u3000"])
    def test_empty_has_the_manuals_message(self, raw):
        err = _raises(normalize_member_no, raw)
        assert err.ja == "会員番号を入力してください。"
        assert err.en == "Enter the member number."
        assert err.field == "member_no"

    def test_none_is_empty(self):
        assert _raises(normalize_member_no, None).en == "Enter the member number."

    def test_too_short(self):
        err = _raises(normalize_member_no, "M9")
        assert "短すぎ" in err.ja and "too short" in err.en

    def test_too_long(self):
        err = _raises(normalize_member_no, "M" * 21)
        assert "長すぎ" in err.ja and "too long" in err.en

    @pytest.mark.parametrize("raw", ["M97_00339", "M97 00339", "M97.00339", "会員97-1", "M97/1"])
    def test_invalid_characters(self, raw):
        err = _raises(normalize_member_no, raw)
        assert "使えない文字" in err.ja and "not allowed" in err.en

    def test_non_ascii_letter_is_not_upper_cased_into_ascii(self):
        # "ı".upper() == "I": the check happens before upper-casing.
        err = _raises(normalize_member_no, "ım97-1")
        assert "not allowed" in err.en

    def test_must_start_with_letter_or_digit(self):
        err = _raises(normalize_member_no, "-M97-00339")
        assert "先頭" in err.ja and "start with a letter or digit" in err.en

    @pytest.mark.parametrize("ctrl", CONTROL_SAMPLES)
    def test_control_characters_refused(self, ctrl):
        err = _raises(normalize_member_no, f"M97{ctrl}00339")
        assert "制御文字" in err.ja and "control character" in err.en
        assert err.field == "member_no"

    def test_lone_surrogate_refused(self):
        err = _raises(normalize_member_no, "M97-\ud800339")
        assert "壊れた文字コード" in err.ja and "surrogate" in err.en

    def test_custom_field(self):
        assert _raises(normalize_member_no, "", field="company").field == "company"

    def test_distinct_messages(self):
        inputs = ["", "M9", "M" * 21, "M97_1", "-M97", "M97\x00", "M97\ud800"]
        messages = {_raises(normalize_member_no, s).en for s in inputs}
        assert len(messages) == len(inputs)


# ======================================================================================
# Port counts


class TestParsePorts:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("1", 1), ("12", 12), ("１２", 12), (" 999 ", 999), ("007", 7), ("\u3000５\u3000", 5)],
    )
    def test_accepts(self, raw, expected):
        assert parse_ports(raw) == expected

    def test_int_passthrough(self):
        assert parse_ports(5) == 5
        assert parse_ports(999) == 999

    @pytest.mark.parametrize("value", [0, 1000, -1])
    def test_int_out_of_range(self, value):
        err = _raises(parse_ports, value)
        assert "1~999" in err.ja and "between 1 and 999" in err.en

    @pytest.mark.parametrize("raw", ["0", "1000", "00000", "9" * 5000, "1" + "0" * 10_000])
    def test_out_of_range_names_the_range(self, raw):
        err = _raises(parse_ports, raw)
        assert err.ja == "追加ポート数は1~999の範囲で入力してください。"
        assert err.en == "The number of additional ports must be between 1 and 999."
        assert err.field == "ports"

    def test_custom_range_in_message(self):
        err = _raises(parse_ports, "60", min_ports=2, max_ports=50)
        assert "2~50" in err.ja and "between 2 and 50" in err.en
        assert parse_ports("50", min_ports=2, max_ports=50) == 50

    @pytest.mark.parametrize(
        "raw", ["-1", "+3", "1.5", "1,000", "1 2", "１ ２", "3e2", "abc", "٣", "½", "0x10", "一"]
    )
    def test_digits_only(self, raw):
        err = _raises(parse_ports, raw)
        assert "数字だけ" in err.ja and "digits only" in err.en
        assert err.field == "ports"

    def test_the_message_matches_what_is_accepted(self):
        """Spaces around the number are trimmed (" 999 " above), so the message names
        only the spaces between digits."""
        err = _raises(parse_ports, "1 2")
        assert "数字の間の空白" in err.ja and "spaces between digits" in err.en

    def test_empty(self):
        err = _raises(parse_ports, "  ")
        assert err.ja == "追加ポート数を入力してください。"
        assert err.en == "Enter the number of additional ports."

    @pytest.mark.parametrize("ctrl", ["\x00", "\t", "\n", "\u200b", "\x1b[2J"])
    def test_control_characters_refused(self, ctrl):
        assert "control character" in _raises(parse_ports, f"1{ctrl}2").en

    def test_custom_field(self):
        assert _raises(parse_ports, "x", field="add_ports").field == "add_ports"

    def test_bool_is_a_programming_error(self):
        with pytest.raises(TypeError):
            parse_ports(True)


class TestContractPorts:
    @pytest.mark.parametrize(("raw", "expected"), [("0", 0), ("100000", 100000), ("１００", 100)])
    def test_accepts(self, raw, expected):
        assert parse_contract_ports(raw) == expected

    @pytest.mark.parametrize("raw", ["100001", "999999999999"])
    def test_range(self, raw):
        err = _raises(parse_contract_ports, raw)
        assert err.ja == "契約ポート数は0~100000の範囲で入力してください。"
        assert "between 0 and 100000" in err.en
        assert err.field == "ports"

    def test_empty_names_the_field(self):
        assert _raises(parse_contract_ports, "").ja == "契約ポート数を入力してください。"

    def test_int_passthrough(self):
        assert parse_contract_ports(0) == 0
        assert "between 0 and 100000" in _raises(parse_contract_ports, -1).en


# ======================================================================================
# Names, address, note


class TestName:
    def test_normalises(self):
        assert normalize_name("  山田\u3000太郎  ") == "山田 太郎"
        assert normalize_name("ﾔﾏﾀﾞ ﾀﾛｳ") == "ヤマダ タロウ"  # half-width kana → full-width
        assert normalize_name("ＮＴＴビズ") == "NTTビズ"

    def test_required_empty(self):
        err = _raises(normalize_name, " \u3000 ")
        assert err.ja == "担当者名を入力してください。"
        assert err.en == "Enter the contact name."
        assert err.field == "name"

    def test_optional_empty(self):
        assert normalize_name("   ", required=False) == ""
        assert normalize_name(None, required=False) == ""

    def test_max_len_boundary(self):
        assert normalize_name("あ" * 50) == "あ" * 50
        err = _raises(normalize_name, "あ" * 51)
        assert "50文字以内" in err.ja and "51" in err.ja
        assert "at most 50 characters" in err.en

    def test_length_counted_after_normalisation(self):
        # 50 half-width kana with dakuten = 100 code points before NFKC, 50 after.
        assert normalize_name("ｶﾞ" * 50) == "ガ" * 50

    def test_custom_max_len(self):
        assert "at most 10" in _raises(normalize_name, "x" * 11, max_len=10).en

    @pytest.mark.parametrize(
        ("field", "ja", "en"),
        [
            ("applicant", "申込者", "applicant"),
            ("department", "部署", "department"),
            ("member_name", "会員名", "company name"),
            ("name", "担当者名", "contact name"),
            ("number", "申込番号", "application number"),
            ("something_else", "名前", "name"),
        ],
    )
    def test_label_follows_field(self, field, ja, en):
        err = _raises(normalize_name, "", field=field)
        assert err.ja == f"{ja}を入力してください。"
        assert err.en == f"Enter the {en}."
        assert err.field == field

    @pytest.mark.parametrize("ctrl", CONTROL_SAMPLES)
    def test_control_characters_refused(self, ctrl):
        err = _raises(normalize_name, f"山田{ctrl}太郎", field="applicant")
        assert "申込者" in err.ja and "制御文字" in err.ja
        assert "control character" in err.en
        assert err.field == "applicant"

    def test_surrogate_refused(self):
        assert "surrogate" in _raises(normalize_name, "山田\udc80").en


class TestAddress:
    def test_ok(self):
        assert normalize_address(" 東京都千代田区大手町１－１－１ ") == "東京都千代田区大手町1-1-1"

    def test_boundary(self):
        assert normalize_address("a" * 200) == "a" * 200
        err = _raises(normalize_address, "a" * 201)
        assert "200文字以内" in err.ja and "at most 200" in err.en and err.field == "address"

    def test_required_by_default(self):
        assert _raises(normalize_address, "").ja == "住所を入力してください。"
        assert normalize_address("", required=False) == ""

    def test_newline_refused(self):
        assert "control character" in _raises(normalize_address, "東京都\n千代田区").en


class TestNote:
    def test_newlines_and_tabs_kept(self):
        assert normalize_note("一行目\n\t二行目") == "一行目\n\t二行目"

    def test_crlf_becomes_lf(self):
        assert normalize_note("a\r\nb\rc") == "a\nb\nc"

    def test_strip_and_empty(self):
        assert normalize_note("\n  メモ  \n\n") == "メモ"
        assert normalize_note("") == ""

    def test_prose_keeps_full_width_punctuation(self):
        assert normalize_note("（注）ＡＢＣ！") == "（注）ＡＢＣ！"
        assert normalize_note("e\u0301") == "\u00e9"  # but NFC applies

    @pytest.mark.parametrize("ctrl", ["\x00", "\x1b", "\x1b[31m", "\x7f", "\u200b", "\u202e", "\u2028", "\x0c"])
    def test_other_controls_refused(self, ctrl):
        err = _raises(normalize_note, f"memo{ctrl}text")
        assert "改行・タブ以外" in err.ja and "other than newline and tab" in err.en
        assert err.field == "note"

    def test_max_len(self):
        assert len(normalize_note("x" * 2000)) == 2000
        assert "at most 2000" in _raises(normalize_note, "x" * 2001).en


# ======================================================================================
# E-mail


class TestEmail:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("hanako@ntt-biz.com", "hanako@ntt-biz.com"),
            ("Taro.Yamada@Example.CO.JP", "Taro.Yamada@example.co.jp"),
            ("  ｔａｒｏ＠ｅｘａｍｐｌｅ．ｃｏｍ ", "taro@example.com"),
            ("a+tag@sub.example.jp", "a+tag@sub.example.jp"),
            ("o'brien_x!#$%&*/=?^`{|}~-@xn--p1ai.xn--p1ai", "o'brien_x!#$%&*/=?^`{|}~-@xn--p1ai.xn--p1ai"),
            ("x@a1.b2", "x@a1.b2"),
            ("a" * 64 + "@" + "b" * 63 + ".jp", "a" * 64 + "@" + "b" * 63 + ".jp"),
        ],
    )
    def test_accepts(self, raw, expected):
        assert normalize_email(raw) == expected

    def test_empty(self):
        err = _raises(normalize_email, "")
        assert err.ja == "ログインIDを入力してください。" and err.field == "login_id"

    @pytest.mark.parametrize("raw", ["taro", "taroexample.com", "a@b@example.com", "@@"])
    def test_exactly_one_at_sign(self, raw):
        err = _raises(normalize_email, raw)
        assert "exactly one '@'" in err.en and "1つだけ" in err.ja

    @pytest.mark.parametrize(
        "raw",
        [
            "@example.com",
            ".taro@example.com",
            "taro.@example.com",
            "ta..ro@example.com",
            '"taro.yamada"@example.com',
            '"taro"@example.com',
            "ta(ro)@example.com",
            "ta,ro@example.com",
            "ta[ro]@example.com",
            "a" * 65 + "@example.com",
        ],
    )
    def test_bad_local_part(self, raw):
        err = _raises(normalize_email, raw)
        assert "before '@'" in err.en and "より前" in err.ja

    @pytest.mark.parametrize(
        "raw",
        [
            "taro@localhost",
            "taro@example..com",
            "taro@.example.com",
            "taro@example.com.",
            "taro@-example.com",
            "taro@example-.com",
            "taro@exa_mple.com",
            "taro@1.2.3.4",
            "taro@[192.168.0.1]",
            "taro@" + "a" * 64 + ".com",
            "taro@example.c!m",
        ],
    )
    def test_bad_domain(self, raw):
        err = _raises(normalize_email, raw)
        assert "domain" in err.en and "ドメイン" in err.ja

    def test_non_ascii(self):
        err = _raises(normalize_email, "山田@example.jp")
        assert "全角文字" in err.ja and "ASCII" in err.en

    def test_space(self):
        assert "spaces" in _raises(normalize_email, "taro yamada@example.jp").en

    def test_too_long(self):
        raw = "a@" + ".".join(["b" * 60] * 4) + ".jp"  # 2 + 243 + 3 = 248
        assert normalize_email(raw) == raw
        long_raw = "a" * 60 + "@" + ".".join(["b" * 60] * 4)
        assert len(long_raw) > 254
        err = _raises(normalize_email, long_raw)
        assert "at most 254" in err.en
        assert "at most 30" in _raises(normalize_email, "a" * 20 + "@example.com", max_len=30).en

    @pytest.mark.parametrize("ctrl", ["\x00", "\n", "\t", "\u200b", "\u202e"])
    def test_control(self, ctrl):
        err = _raises(normalize_email, f"taro{ctrl}@example.com", field="email")
        assert "control character" in err.en and err.field == "email"

    def test_email_key_is_case_insensitive(self):
        a = normalize_email("Taro@Example.com")
        b = normalize_email("taro@EXAMPLE.COM")
        assert a != b
        assert email_key(a) == email_key(b) == "taro@example.com"
        assert email_key("ＴＡＲＯ＠example.com ") == "taro@example.com"


class TestMaskEmail:
    @pytest.mark.parametrize(
        ("email", "masked"),
        [
            ("hanako@ntt-biz.com", "h*****@nt*****"),
            ("taro.yamada@example.co.jp", "t*****@ex*****"),
            ("h@ntt-biz.com", "*****@nt*****"),  # 1-char local part: nothing shown
            ("hi@ab.jp", "h*****@a*****"),  # 2-char first label: 1 char shown
            ("hi@a.jp", "h*****@*****"),
            ("", "*****@*****"),
            ("no-at-sign", "*****@*****"),
        ],
    )
    def test_masks(self, email, masked):
        assert mask_email(email) == masked

    def test_length_does_not_leak(self):
        assert mask_email("ab@cde.jp") == "a*****@cd*****"
        assert mask_email("abcdefghijk@cdefghijk.com") == "a*****@cd*****"

    @given(st.lists(st.one_of(st.characters(), st.sampled_from("@.\ud800\udfff")), max_size=80).map("".join))
    def test_never_raises_and_never_shows_more_than_three_characters(self, text):
        out = mask_email(text)
        assert out.count("*****") == 2
        assert len(out.replace("*****", "").replace("@", "", 1)) <= 3


# ======================================================================================
# Phone, role, on/off


class TestPhone:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("03-1234-5678", "03-1234-5678"),
            ("０３－１２３４－５６７８", "03-1234-5678"),
            ("03ー1234ー5678", "03-1234-5678"),
            ("+81 (3) 1234-5678", "+81 (3) 1234-5678"),
            ("123456", "123456"),
            ("12345678901234567890", "12345678901234567890"),
        ],
    )
    def test_accepts(self, raw, expected):
        assert normalize_phone(raw) == expected

    def test_optional_and_required(self):
        assert normalize_phone("  ") == ""
        err = _raises(normalize_phone, "", required=True)
        assert err.ja == "電話番号を入力してください。" and err.field == "phone"

    @pytest.mark.parametrize("raw", ["03-1234-567x", "03.1234.5678", "内線123456", "03/1234/5678"])
    def test_bad_characters(self, raw):
        assert "not allowed" in _raises(normalize_phone, raw).en

    def test_plus_only_first(self):
        assert "may only come first" in _raises(normalize_phone, "81+312345678").en

    @pytest.mark.parametrize("raw", ["12345", "(((1-2-3-4-5)))", "+1 2 3 4 5"])
    def test_too_short(self, raw):
        err = _raises(normalize_phone, raw)
        assert "6 digits" in err.en and "6桁" in err.ja

    def test_too_long(self):
        err = _raises(normalize_phone, "1" * 21)
        assert "at most 20" in err.en

    def test_control(self):
        assert "control character" in _raises(normalize_phone, "03\t1234").en


class TestRole:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [("admin", "admin"), ("Admin", "admin"), (" USER ", "user"), ("ａｄｍｉｎ", "admin")],
    )
    def test_accepts(self, raw, expected):
        assert parse_role(raw) == expected

    @pytest.mark.parametrize("raw", ["root", "administrator", "users", "管理者"])
    def test_refuses(self, raw):
        err = _raises(parse_role, raw)
        assert "admin or user" in err.en and err.field == "role"

    def test_empty(self):
        assert "Choose the role" in _raises(parse_role, "").en


class TestOnOff:
    @pytest.mark.parametrize("raw", ["on", "ON", "yes", "Yes", "true", "TRUE", "1", "１", " on "])
    def test_on(self, raw):
        assert parse_on_off(raw, "two_factor") is True

    @pytest.mark.parametrize("raw", ["off", "Off", "no", "NO", "false", "False", "0", "０"])
    def test_off(self, raw):
        assert parse_on_off(raw, "two_factor") is False

    def test_bool_passthrough(self):
        assert parse_on_off(True, "x") is True
        assert parse_on_off(False, "x") is False

    @pytest.mark.parametrize("raw", ["maybe", "2", "y", "enable", "o n"])
    def test_refuses(self, raw):
        err = _raises(parse_on_off, raw, "two_factor")
        assert "二段階認証" in err.ja and "on/off" in err.en and err.field == "two_factor"

    def test_empty_and_unknown_field(self):
        err = _raises(parse_on_off, "", "mail_enabled")
        assert err.field == "mail_enabled" and "mail_enabled" in err.en


# ======================================================================================
# Hypothesis: every validator is total on arbitrary text, and idempotent.

# Every code point. st.characters() leaves out surrogates (category Cs) whatever the
# exclusions, so lone surrogates are mixed in explicitly.
ANY_CHAR = st.one_of(
    st.characters(),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
    st.characters(max_codepoint=0x7F),
)


def any_text(alphabet=None, *, min_size: int = 0, max_size: int = 40):
    """Text from ``alphabet`` (default ANY_CHAR). st.text() silently drops surrogates
    even when the alphabet yields them, so build the string from a list instead."""
    chars = ANY_CHAR if alphabet is None else alphabet
    return st.lists(chars, min_size=min_size, max_size=max_size).map("".join)
SPECIAL = st.sampled_from(
    CONTROL_SAMPLES
    + [
        "\ud800", "\udfff", " ", "\u3000", "\u00a0", "-", "ー", "－", "@", "＠", ".", "．",
        "１", "ｍ", "Ａ", "ｶﾞ", "😀", "👨\u200d👩\u200d👧", "e\u0301", "\u0301", "ß", "ı", "ﬁ",
        "\ufdfa", "+", "(", ")", "0", "9", "a", "Z", "\r\n", "Ⅻ", "①", "\U000e0001",
    ]
)
SMALL_TEXT = any_text(max_size=12)


def _huge(seed: str, size: int) -> str:
    return (seed or "x") * (size // max(len(seed), 1) + 1)


_BASE = st.one_of(
    any_text(max_size=40),
    # special characters and sequences (ESC sequences, ZWJ emoji, CR LF...) inside text
    st.builds(lambda a, b, c, d: a + b + c + d, SMALL_TEXT, SPECIAL, SMALL_TEXT, SPECIAL),
    st.builds(_huge, any_text(min_size=1, max_size=5), st.integers(9_000, 11_000)),
    st.just(""),
)
# ...and the same with surrounding whitespace, which every validator strips.
ARBITRARY = st.one_of(
    _BASE,
    st.builds(
        lambda pad1, text, pad2: pad1 + text + pad2,
        st.sampled_from([" ", "\u3000", "\n", " \t", "\u00a0"]),
        _BASE,
        st.sampled_from(["", " ", "\u3000", "\r\n"]),
    ),
)


def _safe_output(value: str, *, note: bool = False) -> None:
    for ch in value:
        cat = unicodedata.category(ch)
        assert cat != "Cs"
        if note and ch in "\n\t":
            continue
        assert cat not in ("Cc", "Cf", "Zl", "Zp"), repr(ch)
    assert value == value.strip()


def _total(fn, text, expected_field, **kwargs):
    """Either a value that re-validates to itself, or a ValidationError for ``field``."""
    try:
        out = fn(text, **kwargs)
    except ValidationError as err:
        assert isinstance(err.ja, str) and err.ja.strip()
        assert isinstance(err.en, str) and err.en.strip()
        assert err.field == expected_field
        return None
    assert fn(out, **kwargs) == out
    return out


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def _dress(strategy):
    """Wrap near-valid values in whitespace and sometimes turn them full-width."""
    return st.builds(
        lambda s, fw, pad: pad + (_fullwidth(s) if fw else s) + pad,
        strategy,
        st.booleans(),
        st.sampled_from(["", " ", "\u3000", "  "]),
    )


PROPS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MEMBER_LIKE = _dress(st.from_regex(r"[A-Za-z0-9-]{1,22}", fullmatch=True))
PORTS_LIKE = _dress(
    st.one_of(
        st.integers(-5, 2_000_000).map(str),
        # long digit runs: past Python's int-string limit (4300 digits) too
        st.builds(lambda d, n: d * n, st.sampled_from(["0", "9", "1", "０", "00001"]), st.integers(1, 6_000)),
    )
)
_LOCAL_PART = st.from_regex(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,10}(\.[A-Za-z0-9_+-]{1,5}){0,2}", fullmatch=True)
_DOMAIN_LABEL = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?", fullmatch=True)
EMAIL_LIKE = _dress(
    st.one_of(
        st.builds(
            lambda local, labels: f"{local}@{'.'.join(labels)}",
            _LOCAL_PART,
            st.lists(_DOMAIN_LABEL, min_size=1, max_size=4),
        ),
        st.from_regex(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\"-]{0,12}@[A-Za-z0-9.-]{0,20}", fullmatch=True),
    )
)
PHONE_LIKE = _dress(st.from_regex(r"[0-9+() ー-]{0,24}", fullmatch=True))
PRINTABLE_LIKE = _dress(
    st.text(st.characters(exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), max_size=60)
)
WORDS = _dress(st.sampled_from(
    ["admin", "user", "Admin", "USER", "on", "off", "Yes", "no", "true", "FALSE", "1", "0", "x"]))


class TestTotality:
    @PROPS
    @given(st.one_of(ARBITRARY, MEMBER_LIKE))
    def test_member_no(self, text):
        out = _total(normalize_member_no, text, "member_no")
        if out is not None:
            assert MEMBER_NO_PATTERN.fullmatch(out) and out == out.upper()

    @PROPS
    @given(st.one_of(ARBITRARY, PORTS_LIKE))
    def test_parse_ports(self, text):
        out = _total(parse_ports, text, "ports")
        if out is not None:
            assert type(out) is int and 1 <= out <= 999
            assert parse_ports(str(out)) == out

    @PROPS
    @given(st.one_of(ARBITRARY, PORTS_LIKE))
    def test_parse_contract_ports_custom_field(self, text):
        out = _total(parse_contract_ports, text, "contract_ports", field="contract_ports")
        if out is not None:
            assert type(out) is int and 0 <= out <= 100_000

    @PROPS
    @given(st.one_of(ARBITRARY, PORTS_LIKE))
    def test_parse_contract_ports_default_field(self, text):
        out = _total(parse_contract_ports, text, "ports")
        if out is not None:
            assert type(out) is int and 0 <= out <= 100_000

    @PROPS
    @given(st.one_of(ARBITRARY, PRINTABLE_LIKE), st.booleans())
    def test_name(self, text, required):
        out = _total(normalize_name, text, "applicant", field="applicant", required=required)
        if out is not None:
            _safe_output(out)
            assert len(out) <= 50
            assert out == unicodedata.normalize("NFKC", out)
            assert out or not required

    @PROPS
    @given(st.one_of(ARBITRARY, PRINTABLE_LIKE))
    def test_address(self, text):
        out = _total(normalize_address, text, "address")
        if out is not None:
            _safe_output(out)
            assert 0 < len(out) <= 200

    @PROPS
    @given(st.one_of(ARBITRARY, PRINTABLE_LIKE))
    def test_note(self, text):
        out = _total(normalize_note, text, "note")
        if out is not None:
            _safe_output(out, note=True)
            assert "\r" not in out and len(out) <= 2000

    @PROPS
    @given(st.one_of(ARBITRARY, EMAIL_LIKE))
    def test_email(self, text):
        out = _total(normalize_email, text, "login_id")
        if out is not None:
            assert out.isascii() and out.count("@") == 1 and len(out) <= 254
            local, _, domain = out.partition("@")
            assert domain == domain.lower() and "." in domain
            assert email_key(out) == out.lower()
            mask = mask_email(out)
            assert mask.endswith("*****") and local not in mask.split("@")[0].replace("*", "")

    @PROPS
    @given(st.one_of(ARBITRARY, PHONE_LIKE), st.booleans())
    def test_phone(self, text, required):
        out = _total(normalize_phone, text, "phone", required=required)
        if out is not None and out:
            assert 6 <= len(out) <= 20 and sum(c.isdigit() for c in out) >= 6
            assert set(out) <= set("0123456789-+() ")

    @PROPS
    @given(st.one_of(ARBITRARY, WORDS))
    def test_role(self, text):
        out = _total(parse_role, text, "role")
        assert out in (None, "admin", "user")

    @PROPS
    @given(st.one_of(ARBITRARY, WORDS))
    def test_on_off(self, text):
        out = _total(parse_on_off, text, "two_factor", field="two_factor")
        assert out in (None, True, False)

    @PROPS
    @given(ARBITRARY)
    def test_mask_email_is_total(self, text):
        assert mask_email(text).count("*****") == 2
