from jointcert.errors import ErrorKind, InvalidInput, JointcertError, Locked


class _Custom(InvalidInput):
    code = "custom_code"
    message_ko = "사용자 정의 오류"
    message_en = "custom error"


def test_error_carries_code_and_both_messages() -> None:
    err = _Custom(field="x")
    assert err.kind is ErrorKind.INVALID
    assert err.to_dict() == {
        "code": "custom_code",
        "message_ko": "사용자 정의 오류",
        "message_en": "custom error",
        "field": "x",
    }
    assert str(err) == "[custom_code] custom error"


def test_instance_messages_override_class_messages() -> None:
    err = Locked("PIN locked", message_ko="PIN이 잠겼습니다")
    assert (err.text_en, err.text_ko, err.kind) == ("PIN locked", "PIN이 잠겼습니다", ErrorKind.LOCKED)
    assert isinstance(err, JointcertError)
