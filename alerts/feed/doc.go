// Package feed fetches news feeds over HTTP and parses them into stories.
//
// The Fetcher is the careful network layer: conditional GETs with the
// validators stored from the last poll, a response size limit, a per-request
// timeout, a limited number of redirects, transparent gzip, conversion of
// the body to UTF-8, and a guard at dial time that keeps feed URLs (and the
// redirects and DNS answers behind them) away from loopback, private and
// link-local addresses unless the operator allows them.
//
// Parse turns a fetched document (RSS 0.9x/1.0/2.0, Atom or JSON Feed) into
// normalised alerts.Story values: plain-text titles and text, canonical
// absolute URLs without tracking parameters, stable de-duplication IDs and
// times that are never zero.
package feed
