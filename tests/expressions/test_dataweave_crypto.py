"""Hashing builtins of `lang: dataweave` (dw::Crypto): known vectors, nulls, algorithms, arity."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from journeys.expressions import (
    ExpressionEvaluationError,
    ExpressionSyntaxError,
    compile_expression,
)

CONTEXT: dict[str, Any] = {"nothing": None, "algo": "SHA-3", "hmacAlgo": "HmacSHA256", "key": "Jefe"}
PLATFORM: dict[str, Any] = {"environment": "dev"}

RFC4231_DATA = "what do ya want for nothing?"


def evaluate(source: str, payload: Any = None, context: Any = CONTEXT) -> Any:
    return compile_expression("dataweave", source).evaluate(context, payload or {}, PLATFORM)


VECTORS = [
    # FIPS 180 / RFC 1321 "abc" vectors
    ('MD5("abc")', "900150983cd24fb0d6963f7d28e17f72"),
    ('MD5("")', "d41d8cd98f00b204e9800998ecf8427e"),
    ('SHA1("abc")', "a9993e364706816aba3e25717850c26c9cd0d89d"),
    ('hashWith("abc")', "a9993e364706816aba3e25717850c26c9cd0d89d"),
    ('hashWith("abc", "SHA-1")', "a9993e364706816aba3e25717850c26c9cd0d89d"),
    ('hashWith("abc", "MD5")', "900150983cd24fb0d6963f7d28e17f72"),
    ('hashWith("abc", "SHA-256")', "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
        'hashWith("abc", "SHA-384")',
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
    ),
    (
        'hashWith("abc", "SHA-512")',
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    ),
    # aliases and case-insensitivity
    ('hashWith("abc", "sha-256")', "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ('hashWith("abc", "SHA256")', "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    ('hashWith("abc", "sha1")', "a9993e364706816aba3e25717850c26c9cd0d89d"),
    ('hashWith("abc", "md5")', "900150983cd24fb0d6963f7d28e17f72"),
    (
        'hashWith("abc", "Sha512")',
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    ),
    # RFC 4231 / RFC 2202 test case 2: key "Jefe"
    (f'HMACWith("Jefe", "{RFC4231_DATA}")', "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
    (f'HMACWith("Jefe", "{RFC4231_DATA}", "HmacSHA1")', "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
    (f'HMACWith("Jefe", "{RFC4231_DATA}", "HmacMD5")', "750c783e6ab0b503eaa86e310a5db738"),
    (
        f'HMACWith("Jefe", "{RFC4231_DATA}", "HmacSHA256")',
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (
        f'HMACWith("Jefe", "{RFC4231_DATA}", "hmacsha256")',
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (
        f'HMACWith("Jefe", "{RFC4231_DATA}", "HmacSHA384")',
        "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
    ),
    (
        f'HMACWith("Jefe", "{RFC4231_DATA}", "HMACSHA512")',
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    ),
    # every argument computed: the three-argument call path without literals
    (
        "HMACWith(context.key, payload.body, context.hmacAlgo)",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
]


@pytest.mark.parametrize(("source", "expected"), VECTORS, ids=[row[0] for row in VECTORS])
def test_known_vectors(source: str, expected: Any) -> None:
    assert evaluate(source, {"body": RFC4231_DATA}) == expected


def test_strings_are_hashed_as_utf8() -> None:
    assert evaluate('hashWith("café", "SHA-256")') == hashlib.sha256("café".encode()).hexdigest()
    assert evaluate(r'SHA1("\u00e9")') == hashlib.sha1(b"\xc3\xa9").hexdigest()


def test_numbers_are_hashed_as_their_string_form() -> None:
    assert evaluate("SHA1(200)") == evaluate('SHA1("200")')
    assert evaluate("MD5(-7)") == evaluate('MD5("-7")')
    # `as String` text: 10000.00 hashes as "10000.0", so signed amounts should stay strings
    assert evaluate('hashWith(10000.00, "SHA-256")') == hashlib.sha256(b"10000.0").hexdigest()
    assert evaluate('HMACWith(42, 1, "HmacSHA256")') == evaluate('HMACWith("42", "1", "HmacSHA256")')


def test_midtrans_style_signature_check() -> None:
    # Midtrans: signature_key = SHA512(order_id + status_code + gross_amount + server key), hex
    expected = (
        "4e5d43e64b1ba39aeb530ca744728e9f1a9d255e58b8e6d72d6d186d89add734"
        "3943963da060fd9d382e7ce8e7db7395ee0f0827b074611f88fd24a377b018e8"
    )
    payload = {
        "order_id": "Postman-1578568851",
        "status_code": "200",
        "gross_amount": "10000.00",
        "signature_key": expected,
    }
    assert hashlib.sha512(b"Postman-157856885120010000.00key").hexdigest() == expected
    source = 'hashWith(payload.order_id ++ payload.status_code ++ payload.gross_amount ++ "key", "SHA-512")'
    assert evaluate(source, payload) == expected
    check = f"{source} == payload.signature_key"
    assert evaluate(check, payload) is True
    assert evaluate(check, {**payload, "gross_amount": "1.00"}) is False
    assert evaluate(check, {**payload, "signature_key": expected.upper()}) is False  # hex is lowercase


NULL_CASES = [
    "MD5(null)",
    "SHA1(context.nothing)",
    "hashWith(null)",
    'hashWith(context.nothing, "SHA-512")',
    'HMACWith("k", null)',
    'HMACWith("k", context.nothing, "HmacSHA256")',
]


@pytest.mark.parametrize("source", NULL_CASES)
def test_null_value_gives_null(source: str) -> None:
    assert evaluate(source) is None


RUNTIME_ERRORS = [
    # (source, message fragment)
    ('hashWith("x", context.algo)', "hashWith() does not support algorithm 'SHA-3'; accepted: MD5, SHA-1, SHA-256"),
    ("hashWith(null, context.algo)", "does not support algorithm 'SHA-3'"),
    ("hashWith('x', context.nothing)", "hashWith() does not support algorithm null"),
    ('HMACWith("k", "x", context.algo)', "accepted: HmacSHA1, HmacSHA256, HmacSHA384, HmacSHA512, HmacMD5"),
    ('HMACWith(context.nothing, "x")', "HMACWith() expects a string or number secret, got null"),
    ("HMACWith(context.nothing, null)", "got null"),
    ("HMACWith([1], 'x')", "HMACWith() expects a string or number secret, got array"),
    ("HMACWith('k', {a: 1})", "HMACWith() expects a string or number content, got object"),
    ("MD5(true)", "MD5() expects a string or number value, got boolean"),
    ("SHA1([1])", "SHA1() expects a string or number value, got array"),
    ("hashWith({}, 'MD5')", "hashWith() expects a string or number value, got object"),
]


@pytest.mark.parametrize(("source", "fragment"), RUNTIME_ERRORS, ids=[row[0] for row in RUNTIME_ERRORS])
def test_runtime_errors(source: str, fragment: str) -> None:
    compiled = compile_expression("dataweave", source)  # computed arguments compile fine
    with pytest.raises(ExpressionEvaluationError) as raised:
        compiled.evaluate(CONTEXT, {}, PLATFORM)
    assert fragment in str(raised.value)


SYNTAX_ERRORS = [
    # (source, column, message fragment): literal algorithms and arity are checked at load
    ('hashWith("x", "SHA-3")', 15, "hashWith() does not support algorithm 'SHA-3'; accepted: MD5, SHA-1"),
    ('hashWith("x", "HmacSHA256")', 15, "does not support algorithm 'HmacSHA256'"),
    ('hashWith("x", 256)', 15, "hashWith() does not support algorithm number"),
    ('hashWith("x", null)', 15, "hashWith() does not support algorithm null"),
    ('HMACWith("k", "x", "SHA256")', 20, "HMACWith() does not support algorithm 'SHA256'; accepted: HmacSHA1"),
    ('HMACWith(null, "x")', 10, "HMACWith() expects a string or number secret, got null"),
    ("MD5()", 1, "MD5() takes 1 argument, got 0"),
    ('MD5("a", "b")', 1, "MD5() takes 1 argument, got 2"),
    ('SHA1("a", "SHA-1")', 1, "SHA1() takes 1 argument, got 2"),
    ("hashWith()", 1, "hashWith() takes 1 to 2 arguments, got 0"),
    ('hashWith("a", "MD5", "b")', 1, "hashWith() takes 1 to 2 arguments, got 3"),
    ('HMACWith("k")', 1, "HMACWith() takes 2 to 3 arguments, got 1"),
    ('HMACWith("k", "c", "HmacSHA1", "x")', 1, "HMACWith() takes 2 to 3 arguments, got 4"),
    ('sha1("abc")', 1, "unknown function 'sha1'"),
]


@pytest.mark.parametrize(("source", "column", "fragment"), SYNTAX_ERRORS, ids=[row[0] for row in SYNTAX_ERRORS])
def test_compile_time_errors(source: str, column: int, fragment: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as raised:
        compile_expression("dataweave", source)
    assert raised.value.line == 1
    assert raised.value.column == column
    assert fragment in str(raised.value)
