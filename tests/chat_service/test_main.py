import pytest

from chat_service.__main__ import main, parse_args


def test_defaults():
    args = parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 8001)
    assert parse_args(["--host", "0.0.0.0", "--port", "9000"]).port == 9000


def test_bad_settings_stop_start_up_with_every_problem(monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setenv("CHAT_MAX_MESSAGES", "many")
    monkeypatch.setenv("CHAT_KEEPALIVE", "5")
    assert main(["--port", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chat service cannot start: invalid settings in the environment:")
    assert "  - CHAT_KEEPALIVE: unknown setting (did you mean CHAT_KEEPALIVE_SECONDS?)" in err
    assert "  - CHAT_MAX_MESSAGES: must be a number" in err


def test_missing_export_stops_start_up(monkeypatch: pytest.MonkeyPatch, tmp_path, capsys):
    monkeypatch.setenv("CHAT_INDEX", str(tmp_path / "chat" / "index.json"))
    assert main([]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'chat' / 'index.json'}: the chat export does not exist" in err
    assert "hint: run `make build` first, or set CHAT_INDEX" in err
