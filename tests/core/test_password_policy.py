"""Tests for portplus_tui.core.password_policy (SPEC R-ACC-3)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portplus_tui.core.errors import ValidationError
from portplus_tui.core.password_policy import (
    POLICY_TEXT_EN,
    POLICY_TEXT_JA,
    check_password,
    common_passwords,
    is_common_password,
    policy_text,
)

LOGIN = "Taro2024@example.co.jp"


def _refusal(password, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        check_password(password, **kwargs)
    err = info.value
    assert err.ja and err.en
    return err


# One example per forbidden kind; each must get its own message.
FORBIDDEN = {
    "empty": ("", {}),
    "too short": ("abc1234", {}),
    "too long": ("abcdefghij0123456789x", {}),
    "control": ("abcd\x00efg1", {}),
    "full-width": ("ｐａｓｓｗｏｒｄ１２", {}),
    "non-ASCII": ("pässwörd12", {}),
    "space": ("abcd efg1", {}),
    "symbols only": ("!#$%&()=~", {}),
    "letters only": ("abcdefghij", {}),
    "digits only": ("1234567890", {}),
    "equal to login ID": ("taro2024", {"login_id": LOGIN}),
    "common": ("password1", {}),
}


class TestRules:
    def test_each_kind_has_a_distinct_message(self):
        ja = {}
        en = {}
        for kind, (pw, kwargs) in FORBIDDEN.items():
            err = _refusal(pw, **kwargs)
            assert err.field == "password", kind
            ja[kind] = err.ja
            en[kind] = err.en
        assert len(set(ja.values())) == len(FORBIDDEN)
        assert len(set(en.values())) == len(FORBIDDEN)

    def test_empty(self):
        err = _refusal("")
        assert err.ja == "パスワードを入力してください。" and err.en == "Enter a password."

    @pytest.mark.parametrize("pw", ["a1", "abc1234", "Ab1!"])
    def test_too_short(self, pw):
        err = _refusal(pw)
        assert "短すぎ" in err.ja and "8文字以上" in err.ja
        assert "too short" in err.en and "at least 8" in err.en

    @pytest.mark.parametrize("pw", ["Abcdefghij0123456789x", "a1" * 50, "x1" * 50_000])
    def test_too_long(self, pw):
        err = _refusal(pw)
        assert "長すぎ" in err.ja and "20文字以内" in err.ja
        assert "too long" in err.en and "at most 20" in err.en

    def test_huge_input_is_refused_on_length_before_anything_else(self):
        # 100,000 characters of mixed nonsense: the length rule answers first.
        pw = ("\x00\ud800ｱ😀 " * 20_000)
        assert len(pw) == 100_000
        assert "too long" in _refusal(pw).en

    @pytest.mark.parametrize(
        "pw",
        ["ｐａｓｓｗｏｒｄ１２", "Ａbcdefg1", "abcdefg１", "パスワード1234", "abc\u3000defg1", "abcdefg1！"],
    )
    def test_full_width(self, pw):
        err = _refusal(pw)
        assert "全角文字" in err.ja and "full-width" in err.en

    @pytest.mark.parametrize("pw", ["pässwörd12", "abcdefg1😀", "ﾊﾟｽﾜｰﾄﾞ123", "abcdéfg12", "abcdefg1\ud800"])
    def test_non_ascii(self, pw):
        err = _refusal(pw)
        assert "使えない文字" in err.ja and "ASCII" in err.en

    @pytest.mark.parametrize("pw", ["abcd efg1", " abcdefg1", "abcdefg1 "])
    def test_space(self, pw):
        err = _refusal(pw)
        assert "空白" in err.ja and "spaces" in err.en

    @pytest.mark.parametrize(
        "pw", ["abcd\x00efg1", "abcd\tefg1", "abcd\nefg1", "abc\x1b[0mdefg1", "abcd\x7fefg1", "abcd\u200befg1"]
    )
    def test_control(self, pw):
        err = _refusal(pw)
        assert "制御文字" in err.ja and "control character" in err.en

    @pytest.mark.parametrize("pw", ["abcdefghij", "Abcdefgh!", "qwer-tyu+"])
    def test_letters_without_digit(self, pw):
        err = _refusal(pw)
        assert "数字を1文字以上" in err.ja and "at least one digit" in err.en

    @pytest.mark.parametrize("pw", ["1234567890", "1234-5678", "20240101!"])
    def test_digits_without_letter(self, pw):
        err = _refusal(pw)
        assert "英字を1文字以上" in err.ja and "at least one letter" in err.en

    def test_symbols_only(self):
        err = _refusal("!#$%&()=~")
        assert "英字と数字" in err.ja and "one letter and one digit" in err.en

    @pytest.mark.parametrize(
        ("pw", "login_id"),
        [
            ("tk2024@ex.jp", "tk2024@ex.jp"),  # whole login ID (otherwise a valid password)
            ("TK2024@EX.JP", "tk2024@ex.jp"),  # case-insensitive
            ("Taro2024", LOGIN),  # local part
            ("user2024", "User2024@example.com"),  # local part, case-insensitive
            ("user2024", "  ＵＳＥＲ２０２４＠example.com "),  # raw, full-width login ID
            ("zx81spec", "zx81spec"),  # login ID without '@'
        ],
    )
    def test_equal_to_login_id(self, pw, login_id):
        err = _refusal(pw, login_id=login_id)
        assert "ログインID" in err.ja and "login ID" in err.en

    def test_login_id_only_refuses_equality(self):
        check_password("user2024x", login_id="user2024@example.com")
        check_password("user2024", login_id=None)
        check_password("user2024", login_id="")

    @pytest.mark.parametrize("pw", ["password1", "PASSWORD1", "Password1", "qwerty123", "abc12345", "iloveyou1"])
    def test_common(self, pw):
        assert is_common_password(pw)
        err = _refusal(pw)
        assert "よく使われて" in err.ja and "too common" in err.en

    @pytest.mark.parametrize(
        "pw",
        [
            "Kq3vbnm8",  # 8: the minimum
            "k7#Vq!2zR9@wX4$mP6&t",  # 20: the maximum
            "Port+Plus2021",
            "xq7-ZZt9",
            "h4nak0-ntt!biz",
            "a1" + "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"[:18],  # symbols allowed
        ],
    )
    def test_accepts(self, pw):
        assert check_password(pw, login_id=LOGIN) is None

    def test_custom_lengths(self):
        check_password("Abc12", min_length=5)
        assert "at least 12" in _refusal("Abcdefgh1xyz"[:11], min_length=12).en
        check_password("A1" + "b" * 30, max_length=40)
        assert "at most 40" in _refusal("A1" + "b" * 39, max_length=40).en

    def test_max_length_is_capped_for_bcrypt(self):
        assert "at most 72" in _refusal("A1" + "b" * 71, max_length=200).en
        check_password("A1" + "q" * 70, max_length=200)

    def test_custom_field(self):
        assert _refusal("", field="new_password").field == "new_password"
        assert _refusal("password1", field="new_password").field == "new_password"

    def test_messages_never_echo_the_password(self):
        for pw in ["SecretTok", "SecretTok1 ", "Secretｔｏｋ1", "password1", "SecretTok\x00"]:
            err = _refusal(pw, login_id="secrettok@x.jp")
            assert pw.strip() not in err.ja and pw.strip() not in err.en

    @pytest.mark.parametrize("value", [None, 12345678, b"abcdefg1"])
    def test_non_string_is_a_validation_error(self, value):
        assert _refusal(value).en == "Enter a password."


class TestPolicyText:
    def test_japanese_is_the_manuals_wording(self):
        assert POLICY_TEXT_JA == "8~20文字の半角英数字で英数字混在で入力してください(記号可)"

    def test_english(self):
        assert "8-20" in POLICY_TEXT_EN and "symbols" in POLICY_TEXT_EN

    def test_other_lengths(self):
        assert policy_text("ja", 10, 30).startswith("10~30文字")
        assert policy_text("en", 10, 30).startswith("10-30")


class TestCommonList:
    def test_size(self):
        assert len(common_passwords()) >= 10_000

    def test_bundled_file_is_lower_case_and_deduplicated(self):
        ref = resources.files("portplus_tui.core").joinpath("data/common-passwords.txt.gz")
        lines = gzip.decompress(ref.read_bytes()).decode("utf-8").splitlines()
        assert len(lines) >= 10_000
        assert len(lines) == len(set(lines))
        assert all(line == line.strip().lower() and line for line in lines)

    def test_licence_note_is_bundled(self):
        readme = resources.files("portplus_tui.core").joinpath("data/README.md").read_text("utf-8")
        assert "Django" in readme and "BSD" in readme and "Royce Williams" in readme

    def test_case_insensitive(self):
        assert is_common_password("password")
        assert is_common_password("PassWord")
        assert not is_common_password("xq7-ZZt9-unlikely")
        assert not is_common_password("")

    def test_never_raises(self):
        assert not is_common_password("\ud800\x00")
        assert not is_common_password(None)

    def test_loaded_lazily_and_once(self):
        code = (
            "import portplus_tui.core.password_policy as p\n"
            "assert p.common_passwords.cache_info().currsize == 0\n"
            "p.is_common_password('a'); p.is_common_password('b')\n"
            "info = p.common_passwords.cache_info()\n"
            "assert (info.misses, info.currsize) == (1, 1), info\n"
            "print('ok')\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "ok"


# ======================================================================================
# Hypothesis: total on arbitrary input, and exactly the policy on near-valid input.

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
PRINTABLE_ASCII = st.characters(min_codepoint=0x21, max_codepoint=0x7E)


def _policy_oracle(pw: str, login_id: str | None) -> bool:
    """The rules of R-ACC-3 written out plainly, to compare check_password with."""
    if not 8 <= len(pw) <= 20:
        return False
    if any(not (0x21 <= ord(c) <= 0x7E) for c in pw):
        return False
    if not any(c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" for c in pw):
        return False
    if not any(c in "0123456789" for c in pw):
        return False
    if login_id:
        low = pw.lower()
        if low == login_id.lower() or low == login_id.lower().split("@")[0]:
            return False
    return pw.lower() not in common_passwords()


PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(
    st.one_of(
        any_text(max_size=40),
        st.builds(lambda s, n: (s or "x") * n, any_text(min_size=1, max_size=4), st.integers(2_500, 25_000)),
        any_text(st.sampled_from("aA1!\x00\x1b\t\n \u3000ａ１😀\ud800ﾊ"), max_size=24),
    ),
    st.one_of(st.none(), any_text(max_size=20)),
)
def test_total_on_arbitrary_input(pw, login_id):
    try:
        result = check_password(pw, login_id=login_id)
    except ValidationError as err:
        assert err.ja.strip() and err.en.strip() and err.field == "password"
    else:
        assert result is None
        assert 8 <= len(pw) <= 20 and pw.isascii()


@PROPS
@given(
    st.one_of(
        st.text(PRINTABLE_ASCII, min_size=6, max_size=22),
        st.sampled_from(sorted(w for w in common_passwords() if w.isascii() and 8 <= len(w) <= 20)),
        st.from_regex(r"[a-zA-Z]{4,12}[0-9]{1,6}", fullmatch=True),
    ),
    st.sampled_from([None, "user2024@example.com", "Abcd1234@x.jp", "qwerty123"]),
)
def test_matches_the_policy_exactly(pw, login_id):
    try:
        check_password(pw, login_id=login_id)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert accepted == _policy_oracle(pw, login_id)


@PROPS
@given(st.text(PRINTABLE_ASCII, min_size=8, max_size=20))
def test_case_never_matters_for_the_common_list(pw):
    assert is_common_password(pw) == is_common_password(pw.upper()) == is_common_password(pw.lower())
