"""The bank's systems as the registration authority sees them.

* :mod:`jointcert.bank.ports` — the Protocols the RA is written against (customers, accounts, second factors,
  ARS telephony, immigration records, notifications) and :class:`~jointcert.bank.ports.BankPorts`;
* :mod:`jointcert.bank.model` — the values they exchange; :mod:`jointcert.bank.errors` — their typed errors;
* :mod:`jointcert.bank.sandbox` — the sandbox bank's pure logic; its database adapters are in
  :mod:`jointcert.storage.bank_repository`; :mod:`jointcert.bank.seed` — the demo customers.
"""
