package feed

import (
	"net/url"
	"strings"
)

// trackingParams are query parameters that identify a campaign or a click,
// not the article: dropping them makes one story one URL whichever
// newsletter or share button it came through. Sources: Google Analytics
// (utm_*), ad click IDs of Google, Microsoft, Meta, Yandex and others,
// Mailchimp, HubSpot and Marketo mail tracking, AT Internet/Piano
// (at_*, xtor), Adobe (cmpid, s_cid) and Microsoft News (ocid).
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "gclsrc": true, "dclid": true, "gbraid": true,
	"wbraid": true, "msclkid": true, "yclid": true, "twclid": true, "ttclid": true,
	"li_fat_id": true, "igshid": true, "mc_cid": true, "mc_eid": true,
	"_hsenc": true, "_hsmi": true, "mkt_tok": true, "ref": true, "ref_src": true,
	"ref_url": true, "cmpid": true, "s_cid": true, "ocid": true, "xtor": true,
	"at_medium": true, "at_campaign": true, "at_campaign_type": true,
	"at_creation": true, "at_emailtype": true, "at_format": true, "at_link": true,
	"at_link_id": true, "at_link_origin": true, "at_link_type": true,
	"at_platform": true, "at_ptr_name": true, "at_recipient_id": true,
	"at_recipient_list": true, "at_send_date": true, "at_variant": true,
	"__twitter_impression": true, "guce_referrer": true, "guce_referrer_sig": true,
}

// trackingPrefixes are families of tracking parameters.
var trackingPrefixes = []string{"utm_"}

// isTrackingParam reports whether a query parameter name (already decoded)
// only tracks the reader.
func isTrackingParam(name string) bool {
	name = strings.ToLower(name)
	if trackingParams[name] {
		return true
	}
	for _, p := range trackingPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// CanonicalLink returns an absolute link in the canonical form stories'
// links are stored in (see canonicalURL), or "" when it is not a web link:
// a link a person pastes finds the story stored from the feed.
func CanonicalLink(ref string) string { return canonicalURL(nil, ref) }

// canonicalURL resolves ref against base and returns it in canonical form:
// absolute, http or https only, scheme and host lower-case, default port
// and fragment dropped, tracking parameters removed (the rest keep their
// order and encoding). It returns "" when ref is not a usable web link.
func canonicalURL(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil && !u.IsAbs() {
		u = base.ResolveReference(u)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return ""
	}
	u.Host = strings.ToLower(u.Host)
	if port := u.Port(); port == "80" && u.Scheme == "http" || port == "443" && u.Scheme == "https" {
		u.Host = strings.TrimSuffix(u.Host, ":"+port)
	}
	u.Fragment, u.RawFragment = "", ""
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = escapeQuery(stripTracking(u.RawQuery))
	}
	u.ForceQuery = false
	out := u.String()
	// Resolving a lax relative reference can yield a URL that does not
	// parse again (a host of "::", say); such a link is of no use.
	if v, err := url.Parse(out); err != nil || v.Hostname() == "" {
		return ""
	}
	return out
}

// stripTracking removes tracking parameters from a raw query string without
// re-encoding or reordering what stays, so the link still works on servers
// that care about either.
func stripTracking(rawQuery string) string {
	var kept []string
	changed := false
	for part := range strings.SplitSeq(rawQuery, "&") {
		if part == "" {
			changed = true
			continue
		}
		name, _, _ := strings.Cut(part, "=")
		if dec, err := url.QueryUnescape(name); err == nil {
			name = dec
		}
		if isTrackingParam(name) {
			changed = true
			continue
		}
		kept = append(kept, part)
	}
	if !changed {
		return rawQuery
	}
	return strings.Join(kept, "&")
}

// escapeQuery percent-encodes the bytes that may not appear in a query
// (RFC 3986, section 3.4): url.Parse lets spaces and non-ASCII through,
// and a link posted with them breaks or changes on the next round trip.
func escapeQuery(q string) string {
	i := 0
	for i < len(q) && isQueryByte(q[i]) {
		i++
	}
	if i == len(q) {
		return q
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(q) + 8)
	b.WriteString(q[:i])
	for ; i < len(q); i++ {
		if c := q[i]; isQueryByte(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	return b.String()
}

// isQueryByte reports whether c may appear as-is in a query: unreserved,
// sub-delims, ':', '@', '/', '?', and '%' of an existing escape.
func isQueryByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/?%", c) >= 0
}
