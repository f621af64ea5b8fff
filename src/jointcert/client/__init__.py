"""Python SDK used by the CLI and the tests: logging in at a relying party (``client.login``). HTTP through httpx;
no Typer, no web framework."""
