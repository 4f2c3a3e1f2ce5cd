#
# Varnish 7 in front of the site (gunicorn), with xkey from varnish-modules.
#
# It keeps what the site marks for shared caches (anonymous pages and API
# answers: `Cache-Control: public, s-maxage=...`), passes everything personal
# (a session, the pin to the primary database after a write, an API key, the
# admin, any method but GET and HEAD), and drops the answers the site names
# in a purge (`PURGE /` with an `xkey` header) the moment it is published,
# edited or withdrawn. Purges are accepted from the site's machines only.
#
# Set the backend to the address gunicorn listens on, and `purgers` to the
# web machines; then point the site at this proxy: PROXY_PURGE_URLS=http://<this host>:<port>.
#
#   varnishd -a :6081 -f /path/to/site.vcl -s malloc,256m -p http_gzip_support=off
#
# http_gzip_support=off: the site compresses (GZipMiddleware) and says
# Vary: Accept-Encoding, and vcl_recv reduces Accept-Encoding to gzip or
# nothing, so each of the two variants is kept as the site sent it. With it
# on, Varnish keeps only the gzip one and unzips it for every client that
# does not take gzip (curl, many API clients): two to six times the CPU per
# answer (docs/performance.md).
#
vcl 4.1;

import std;
import xkey;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
    .probe = {
        .url = "/healthz";
        .interval = 5s;
        .timeout = 2s;
        .window = 5;
        .threshold = 3;
        # Healthy from the start: the site answers before the first probe.
        .initial = 3;
    }
}

# The machines whose purges are obeyed: the web machines, nobody else.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey) {
            return (synth(400, "An xkey header names what to purge"));
        }
        set req.http.n-gone = xkey.purge(req.http.xkey);
        return (synth(200, "Purged " + req.http.n-gone + " objects"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Personal: signed in, just wrote (reads pinned to the primary), a partner.
    if (req.url ~ "^/admin/"
        || req.http.Cookie ~ "(^|;\s*)(sessionid|pin_primary)="
        || req.http.X-Api-Key
        || req.http.Authorization) {
        return (pass);
    }
    # An English page for a reader who has not chosen a language and whose
    # browser prefers Chinese carries a note for them alone (the site marks it
    # private): do not answer it from the cache.
    if (req.http.Accept-Language ~ "^\s*zh"
        && req.http.Cookie !~ "(^|;\s*)django_language="
        && req.url !~ "^/(zh-hans|api|static|media|i18n|embed)/") {
        return (pass);
    }
    # The site answers in two languages: two variants at most, whatever the
    # browser sends (the API reads Accept-Language when no ?lang= is given).
    if (req.http.Accept-Language ~ "^\s*zh") {
        set req.http.Accept-Language = "zh-hans";
    } else {
        set req.http.Accept-Language = "en";
    }
    # Compressed or not: two variants at most (the site says Vary:
    # Accept-Encoding). With varnishd's http_gzip_support off, as the site
    # runs it, each is kept as the site sent it, so a client that does not
    # take gzip is not answered by unzipping the kept answer every time.
    if (req.http.Accept-Encoding ~ "(^|[,\s])gzip\b") {
        set req.http.Accept-Encoding = "gzip";
    } else {
        unset req.http.Accept-Encoding;
    }
    # While the site is up, an expired answer is served at most 30 s
    # (stale-while-revalidate), once, while a fresh one is fetched; while it
    # is down, as long as the answer allows (stale-if-error).
    if (std.healthy(req.backend_hint)) {
        set req.grace = 30s;
    }
    # Other cookies (a CSRF token, the language chosen) change no shared
    # answer: look up without them; the site still sees them on a miss, and
    # whatever it answers personally it marks so.
    return (hash);
}

sub vcl_hash {
    hash_data(req.url);
    if (req.http.host) {
        hash_data(req.http.host);
    } else {
        hash_data(server.ip);
    }
    return (lookup);
}

sub vcl_backend_response {
    # Only what the site marks for shared caches is kept; everything else
    # (private, no-store, a Set-Cookie, no s-maxage) goes straight through.
    if (beresp.http.Cache-Control !~ "s-maxage" || beresp.http.Set-Cookie) {
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }
    # Varnish reads s-maxage into the TTL. Keep an answer past it for as long
    # as stale-if-error says, to serve while the site is down (vcl_recv asks
    # for no more than stale-while-revalidate while it is up).
    if (beresp.http.Cache-Control ~ "stale-if-error=\d+") {
        set beresp.grace = std.duration(
            regsub(beresp.http.Cache-Control, ".*stale-if-error=(\d+).*", "\1s"), 0s);
    }
    return (deliver);
}

sub vcl_backend_error {
    # The site is down and nothing stale is left: a short plain answer.
    set beresp.http.Retry-After = "30";
}

sub vcl_deliver {
    # Browsers keep the page as the site said (max-age), not as the proxy does.
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.xkey;
    unset resp.http.Via;
    unset resp.http.X-Varnish;
}
