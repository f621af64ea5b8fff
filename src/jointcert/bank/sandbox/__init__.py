"""The sandbox bank: pure logic behind the database-backed adapters (hashing, OTP, security card, ARS, messages).

The adapters themselves live in :mod:`jointcert.storage.bank_repository` (only ``storage/`` touches the
database); the demo customers are in :mod:`jointcert.bank.seed`.
"""
