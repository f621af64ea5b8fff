"""Certificate copy between devices: a one-time code, ciphertext only on the server, single download, short TTL.

``service`` is the relay (no HTTP, no SQL; storage through ``ports``); ``protocol`` and ``payload`` are what the
two devices compute (the browser's ``relay.js`` mirrors them). See ``docs/relay.md``.
"""
