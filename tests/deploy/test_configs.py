"""The shipped proxy configurations are valid for the servers they are for."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VCL = ROOT / "deploy" / "varnish" / "site.vcl"
NGINX = ROOT / "deploy" / "nginx" / "site.conf"


@pytest.mark.skipif(
    not shutil.which("varnishd") and not os.environ.get("CI"),
    reason="needs varnishd and varnish-modules (apt-get install varnish varnish-modules)",
)
def test_the_varnish_configuration_compiles():
    compiled = subprocess.run(
        ["varnishd", "-C", "-f", str(VCL)], capture_output=True, text=True
    )

    assert compiled.returncode == 0, compiled.stderr[-2000:]


@pytest.mark.skipif(
    not shutil.which("nginx") and not os.environ.get("CI"),
    reason="needs nginx (apt-get install nginx-light)",
)
def test_the_nginx_configuration_parses(tmp_path):
    # The deployment's own certificate and cache folder, made up here.
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=www.example.org", "-keyout", str(tmp_path / "site.key"),
         "-out", str(tmp_path / "site.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    site = (
        NGINX.read_text()
        .replace("/etc/ssl/certs/alliance.pem", str(tmp_path / "site.pem"))
        .replace("/etc/ssl/private/alliance.key", str(tmp_path / "site.key"))
        .replace("/var/cache/nginx/alliance", str(tmp_path / "cache"))
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n    include {tmp_path}/site.conf;\n}}\n"
    )

    parsed = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )

    assert parsed.returncode == 0, parsed.stderr
    assert "syntax is ok" in parsed.stderr
