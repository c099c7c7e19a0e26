package feed

import (
	"net/url"
	"strings"
)

// redacted replaces a secret, as url.URL.Redacted does for passwords.
const redacted = "xxxxx"

// RedactURL returns rawURL fit for logs and error messages: a password in
// its user info, a user name standing alone (which is how tokens are often
// passed) and the values of query parameters whose names suggest a secret
// (token, key, api_key, sig, ...) are replaced by "xxxxx". Feed URLs come
// from operators and servers' admins, and those of paid or private feeds
// carry credentials; everything that shows a feed URL in a log line, an
// error or a channel should show this instead.
//
// The rest of the URL is kept as written, so that the admin still knows
// which feed is meant. Text that does not parse as a URL is cut at its
// query, and anything before an '@' in it is hidden.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return redactUnparsed(rawURL)
	}
	if u.User != nil {
		if _, hasPassword := u.User.Password(); hasPassword {
			u.User = url.UserPassword(u.User.Username(), redacted)
		} else {
			u.User = url.User(redacted)
		}
	}
	u.RawQuery = redactQuery(u.RawQuery)
	if u.Fragment != "" && strings.Contains(u.Fragment, "=") {
		// OAuth's implicit flow puts access_token in the fragment.
		frag := redactQuery(u.EscapedFragment())
		u.Fragment, _ = url.PathUnescape(frag)
		u.RawFragment = frag
	}
	return u.String()
}

// redactQuery masks the values of secret-looking parameters in a raw query,
// keeping the order and spelling of the others.
func redactQuery(raw string) string {
	if raw == "" {
		return raw
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		if !hasValue {
			continue
		}
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if isSecretParam(name) {
			parts[i] = p[:strings.IndexByte(p, '=')+1] + redacted
		}
	}
	return strings.Join(parts, "&")
}

// secretParams are query parameter names that carry credentials in feed
// URLs seen in practice (API gateways, signed CDN links, private feeds of
// news services), compared without case, '-' and '_'.
var secretParams = map[string]bool{
	"key": true, "apikey": true, "accesskey": true, "secretkey": true, "privatekey": true,
	"token": true, "accesstoken": true, "authtoken": true, "apitoken": true, "privatetoken": true, "refreshtoken": true,
	"secret": true, "clientsecret": true,
	"password": true, "passwd": true, "pass": true, "pwd": true,
	"sig": true, "signature": true, "hmac": true,
	"auth": true, "authorization": true, "jwt": true, "credential": true, "credentials": true,
	"session": true, "sessionid": true, "sid": true,
	"xamzsignature": true, "xamzcredential": true, "xamzsecuritytoken": true,
}

// secretSuffixes catch the variants no list keeps up with, such as
// "feed_token" or "x-goog-signature".
var secretSuffixes = []string{"token", "secret", "apikey", "password", "signature"}

// isSecretParam reports whether a query parameter's value is likely a
// credential. It errs on the side of hiding: a masked harmless value costs
// the admin a little detail, a leaked token costs the subscription.
func isSecretParam(name string) bool {
	n := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' {
			return -1
		}
		return r
	}, strings.ToLower(name))
	if secretParams[n] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// redactUnparsed is RedactURL's fallback for text url.Parse rejects: it
// cannot tell the parts apart reliably, so it keeps only what is safe.
func redactUnparsed(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		raw = raw[:i] + "?" + redacted
	}
	if at := strings.LastIndexByte(raw, '@'); at >= 0 {
		start := 0
		if i := strings.Index(raw, "://"); i >= 0 && i < at {
			start = i + len("://")
		}
		raw = raw[:start] + redacted + raw[at:]
	}
	return raw
}
