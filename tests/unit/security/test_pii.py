import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from longgov.security.crypto import CryptoError
from longgov.security.pii import PiiCodec, mask_address, mask_name, mask_phone

codec = PiiCodec(data_key=os.urandom(16), index_key=os.urandom(32))


@given(st.text(min_size=1, max_size=60))
def test_roundtrip_and_deterministic_index(value):
    blob = codec.encrypt("phone", value)
    assert codec.decrypt("phone", blob) == value
    assert codec.index("phone", value) == codec.index("phone", value)


def test_ciphertext_is_bound_to_its_field():
    blob = codec.encrypt("id_number", "620102199001011234")
    with pytest.raises(CryptoError):
        codec.decrypt("phone", blob)


def test_index_differs_per_field_and_key():
    assert codec.index("phone", "13900000000") != codec.index("id_number", "13900000000")
    other = PiiCodec(data_key=os.urandom(16), index_key=os.urandom(32))
    assert other.index("phone", "13900000000") != codec.index("phone", "13900000000")


def test_masks():
    assert mask_phone("13912345678") == "139****5678"
    assert mask_address("甘肃省兰州市城关区东岗西路1号") == "甘肃省兰州市" + "*" * 9
    assert mask_name("张三丰") == "张**"
