"""Python SDK used by the CLI and the tests: CMP enrollment, renewal and revocation (``client.cmp``), the NPKI
folder operations around them (``client.wallet``) and the copy relay client (``client.copy``). HTTP through httpx;
no Typer, no web framework."""
