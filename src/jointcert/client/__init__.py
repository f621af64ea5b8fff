"""Python SDK used by the CLI and the tests: CMP enrollment, renewal and revocation (``client.cmp``), the NPKI
folder operations around them (``client.wallet``), the copy relay client (``client.copy``) and logging in at a
relying party (``client.login``). HTTP through httpx;
no Typer, no web framework."""
