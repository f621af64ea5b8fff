"""Python SDK used by the CLI and the tests: CMP enrollment, renewal and revocation (``client.cmp``) and the NPKI
folder operations around them (``client.wallet``). HTTP through httpx; no Typer, no web framework."""
