import subprocess
import sys


def test_console_script_shows_help_and_version() -> None:
    out = subprocess.run([sys.executable, "-m", "jointcert", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip().startswith("jointcert ")


def test_errors_with_listed_details_print_every_item(capsys) -> None:  # type: ignore[no-untyped-def]
    from jointcert.cli.context import EXIT_CODES, report
    from jointcert.npki.password_policy import WeakPassword, check_password

    violations = [v.__dict__ for v in check_password("short")]
    code = report(WeakPassword(violations=violations))
    err = capsys.readouterr().err
    assert code == EXIT_CODES[WeakPassword.kind]
    assert "Include a digit." in err and "10자 이상" in err


def test_exit_codes_raised_by_commands_reach_the_shell() -> None:
    import typer

    from jointcert.cli.context import run_safely

    app = typer.Typer()

    @app.command()
    def fail() -> None:
        raise typer.Exit(code=4)

    @app.command()
    def other() -> None:
        """A second command so Typer keeps subcommand names."""

    import sys

    argv = sys.argv
    sys.argv = ["jointcert", "fail"]
    try:
        assert run_safely(app) == 4
    finally:
        sys.argv = argv
