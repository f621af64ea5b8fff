"""Runs inside the throwaway django-ca venv (bench/djangoca.py makes it): certificates per second through
django-ca's Python API, as shipped and with the CA key held in memory. Prints one JSON object.

Not part of jointcert (imports nothing of it). ``python djangoca_worker.py WORKDIR COUNT``.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def _configure(workdir: Path) -> None:
    import django
    from django.conf import settings

    (workdir / "bench_urls.py").write_text(
        'from django.urls import include, path\nurlpatterns = [path("django_ca/", include("django_ca.urls"))]\n'
    )
    sys.path.insert(0, str(workdir))
    settings.configure(
        ROOT_URLCONF="bench_urls",
        SECRET_KEY="bench-only",
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.messages",
            "django.contrib.admin",
            "django.contrib.sessions",
            "django_object_actions",
            "django_ca",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(workdir / "db.sqlite3")}},
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "django-ca": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(workdir / "files"), "file_permissions_mode": 0o600},
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        CA_DEFAULT_HOSTNAME="ca.example.com",
        CA_MIN_KEY_SIZE=2048,
        CA_DEFAULT_KEY_SIZE=2048,
        CA_USE_CELERY=False,
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        LOGGING_CONFIG=None,
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _csrs(count: int) -> list[Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    keys = [rsa.generate_private_key(65537, 2048) for _ in range(4)]
    out = []
    for i in range(count):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"user{i}.example.com")])
        out.append(x509.CertificateSigningRequestBuilder().subject_name(name).sign(keys[i % 4], hashes.SHA256()))
    return out


def _rate(ca: Any, options: Any, csrs: list[Any]) -> tuple[float, list[float]]:
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    from django_ca.models import Certificate

    latencies = []
    start = time.perf_counter()
    for i, csr in enumerate(csrs):
        begin = time.perf_counter()
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"user{i}.example.com")])
        Certificate.objects.create_cert(ca, options, csr, subject=subject, not_after=timedelta(days=365))
        latencies.append(time.perf_counter() - begin)
    return len(csrs) / (time.perf_counter() - start), latencies


def main() -> None:
    """Measure both paths; print JSON."""
    workdir, count = Path(sys.argv[1]), int(sys.argv[2])
    _configure(workdir)
    import django_ca
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    from django_ca.key_backends import key_backends
    from django_ca.key_backends.storages.backend import StoragesBackend
    from django_ca.models import CertificateAuthority

    backend = key_backends["default"]
    create = backend.get_create_private_key_options("RSA", 2048, None, {"password": None, "path": Path("ca")})
    root = CertificateAuthority.objects.init(
        name="bench-root",
        key_backend=backend,
        key_backend_options=create,
        subject=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench root")]),
        not_after=datetime.now(UTC) + timedelta(days=3650),
    )
    options = backend.get_use_private_key_options(root, {})
    csrs = _csrs(count * 2 + 2)
    _rate(root, options, csrs[:2])  # warm up
    shipped, shipped_latencies = _rate(root, options, csrs[2 : count + 2])
    loaded = StoragesBackend.get_key(backend, root, options)
    StoragesBackend.get_key = lambda self, ca, use_options: loaded  # type: ignore[method-assign]
    in_memory, memory_latencies = _rate(root, options, csrs[count + 2 :])
    print(
        json.dumps(
            {
                "version": django_ca.__version__,
                "shipped": shipped,
                "shipped_latencies": shipped_latencies,
                "in_memory": in_memory,
                "in_memory_latencies": memory_latencies,
            }
        )
    )


if __name__ == "__main__":
    main()
