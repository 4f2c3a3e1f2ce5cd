"""Requests from the site to addresses that staff typed in: partners' endpoints.

An endpoint's URL is checked when it is saved, and its host is resolved and
checked again at every send, on the address actually connected to: a name
that resolved to a public address yesterday and to 127.0.0.1 today
(DNS rebinding) is refused today. Refused:

- any scheme but https (http too while debugging, WEBHOOKS_ALLOW_HTTP);
- user names and passwords in the URL;
- addresses that are not globally routable: loopback, private networks,
  link-local (cloud metadata at 169.254.169.254 among them), shared
  carrier space (Alibaba's metadata at 100.100.100.200), multicast,
  reserved and unspecified, in IPv4 and IPv6, IPv4-mapped ones included
  (WEBHOOKS_ALLOW_PRIVATE_ADDRESSES lifts this for a developer's machine).

A send does not follow redirects, gives up after `CONNECT_TIMEOUT` and
`READ_TIMEOUT` seconds, and reads at most `READ_LIMIT` bytes of the answer.
"""

import dataclasses
import ipaddress
import socket
import time
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
READ_LIMIT = 64 * 1024
# Connections kept open between sends, one per endpoint address.
MAX_POOLS = 64


class RefusedDestination(Exception):
    """The URL or the address it resolves to is not one the site may send to."""


@dataclasses.dataclass
class Answer:
    status: int | None
    body: bytes
    duration_ms: int
    error: str = ""


def _check_scheme(parts):
    allowed = {"https", "http"} if settings.WEBHOOKS_ALLOW_HTTP else {"https"}
    if parts.scheme not in allowed:
        raise RefusedDestination(_("The address must start with https://."))
    if not parts.hostname:
        raise RefusedDestination(_("The address has no host name."))
    if parts.username or parts.password:
        raise RefusedDestination(_("The address may not hold a user name or password."))


def check_address(address):
    """Refuse an IP address that is not globally routable (unless allowed by settings)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    if settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        return
    if not ip.is_global or ip.is_multicast:
        raise RefusedDestination(
            _("%(address)s is a private, loopback or reserved address.")
            % {"address": ip}
        )


def validate_endpoint_url(url):
    """The model field's check: the scheme, and the host when it is an address."""
    try:
        parts = urlsplit(url)
        _check_scheme(parts)
        try:
            ipaddress.ip_address(parts.hostname)
        except ValueError:
            return  # a name: resolved and checked at every send
        check_address(parts.hostname)
    except RefusedDestination as refusal:
        raise ValidationError(str(refusal), code="refused") from None


def resolve(host, port):
    """The addresses of `host`, every one checked; the first is the one to connect to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise RefusedDestination(
            _("%(host)s does not resolve: %(error)s") % {"host": host, "error": error}
        ) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    # One bad address refuses the name: the resolver could hand any of them
    # to a later connection.
    for address in addresses:
        check_address(address)
    return addresses


_pools = {}


def _pool(scheme, address, port, host):
    key = (scheme, address, port, host)
    pool = _pools.get(key)
    if pool is None:
        if len(_pools) >= MAX_POOLS:
            for old in _pools.values():
                old.close()
            _pools.clear()
        if scheme == "https":
            # Connect to the checked address, but verify the certificate of
            # the name (and send it as SNI).
            pool = urllib3.HTTPSConnectionPool(
                address,
                port,
                maxsize=1,
                server_hostname=host,
                assert_hostname=host,
                cert_reqs="CERT_REQUIRED",
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, port, maxsize=1)
        _pools[key] = pool
    return pool


def post(url, body, headers):
    """POST `body` to `url` under the rules above; answer what came back.

    A refused destination raises RefusedDestination before anything is
    sent; a network failure or timeout is an Answer with no status.
    """
    parts = urlsplit(url)
    _check_scheme(parts)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname
    address = resolve(host, port)[0]
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    host_header = parts.netloc.rsplit("@", 1)[-1]
    pool = _pool(parts.scheme, address, port, host)
    started = time.monotonic()
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            assert_same_host=False,
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
            preload_content=False,
        )
    except urllib3.exceptions.HTTPError as error:
        return Answer(None, b"", _since(started), error=_describe(error))
    try:
        data = response.read(READ_LIMIT, decode_content=False)
        if response.read(1, decode_content=False):
            # Longer than anyone needs: drop the connection rather than read on.
            response.close()
    except urllib3.exceptions.HTTPError as error:
        response.close()
        return Answer(response.status, b"", _since(started), error=_describe(error))
    finally:
        response.release_conn()
    return Answer(response.status, data, _since(started))


def _since(started):
    return round((time.monotonic() - started) * 1000)


def _describe(error):
    reason = getattr(error, "reason", None) or error
    return f"{type(error).__name__}: {reason}"[:300]
