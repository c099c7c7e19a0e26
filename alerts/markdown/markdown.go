// Package markdown writes what feeds say as Discord markdown that shows it
// literally: text that can neither format, link nor ping, and links whose
// target cannot be broken out of. Every renderer of Vigil's (alerts,
// briefings, command replies) writes feed text and links through it, so
// that there is one answer to what a feed may put in a message.
//
// Discord's client reads markdown with simple-markdown and rules of its
// own, which differ from CommonMark where it matters here:
//
//   - a backslash escapes any character but a letter, a digit or a space;
//   - a masked link is "[label](target)" or "[label](<target>)", and its
//     target ends at the first ")" outside a pair of parentheses, even
//     between "<" and ">", and may hold no space or backslash;
//   - text such as "https://…" is linked by itself;
//   - "<@id>", "<@&id>", "@everyone" and "@here" are mentions.
//
// Text therefore escapes every character markdown gives a meaning to, the
// colon of "://", and the dot of a numbered list, and breaks mass mentions
// with a zero-width space, so that even a client that ignores
// allowed_mentions shows no ping (messages still send allowed_mentions with
// nothing to parse). URL keeps only absolute http(s) links and
// percent-encodes, after the host, whatever could end a link early; it
// names the same page.
package markdown

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxURLBytes is the longest link Vigil links: browsers and proxies do not
// reliably accept longer ones.
const MaxURLBytes = 2000

// Untitled labels a link whose label is blank, which Discord would show as
// nothing to click.
const Untitled = "(untitled)"

// specials are the characters Discord's markdown gives a meaning to
// wherever they stand.
const specials = "\\*_~`|>#-[]()<"

// zeroWidthSpace after an "@" keeps "@everyone" from being a mention.
const zeroWidthSpace = "\u200b"

// Text makes s display literally in Discord: its markdown characters are
// escaped, so that it can neither format nor hold a link nor mention anyone,
// and "@everyone" and "@here" are broken with a zero-width space.
func Text(s string) string {
	var sb strings.Builder
	sb.Grow(len(s) + len(s)/8)
	for i, r := range s {
		switch {
		case strings.ContainsRune(specials, r),
			// "https://…" would be linked by Discord.
			r == ':' && strings.HasPrefix(s[i+1:], "//"),
			// "1. " at the start of a line opens a numbered list.
			r == '.' && listNumber(s, i):
			sb.WriteByte('\\')
		}
		sb.WriteRune(r)
		if r == '@' && massMention(s[i+1:]) {
			sb.WriteString(zeroWidthSpace)
		}
	}
	return sb.String()
}

// URL returns raw as the target of a masked link, or "" if it is not to be
// linked: it is not an absolute http(s) URL with a host, or it is longer
// than MaxURLBytes, or it holds a user name (the "official.example@" of
// https://official.example@phish.example/, which is there to deceive), a
// backslash (which browsers read as "/" and Discord as an escape) or a
// control character.
//
// After the host, the characters that could end a link early in Discord or
// that a URL may not hold as they are (spaces, "()[]<>", quotes, "`{}|^",
// anything not ASCII) are percent-encoded, as a browser encodes them before
// it sends the request, so the link names the same page; so is the "@" of
// "@everyone" and "@here", which Discord could take for a mention.
func URL(raw string) string {
	if raw == "" || len(raw) > MaxURLBytes || !utf8.ValidString(raw) {
		return ""
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r == '\\' || unicode.IsControl(r) }) {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.User != nil || u.Hostname() == "" {
		return ""
	}
	// url.Parse has checked that raw is "scheme://authority…".
	start := len(u.Scheme) + len("://")
	end := len(raw)
	if k := strings.IndexAny(raw[start:], "/?#"); k >= 0 {
		end = start + k
	}
	if !validAuthority(raw[start:end]) {
		return ""
	}
	var sb strings.Builder
	sb.Grow(len(raw) + 16)
	sb.WriteString(u.Scheme)
	sb.WriteString("://")
	sb.WriteString(raw[start:end])
	for i := end; i < len(raw); i++ {
		if c := raw[i]; mustEncode(c) || c == '@' && massMention(raw[i+1:]) {
			sb.WriteByte('%')
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
		} else {
			sb.WriteByte(c)
		}
	}
	if sb.Len() > MaxURLBytes {
		return ""
	}
	return sb.String()
}

// Link is a masked link to rawURL labelled with label, both made safe by
// Text and URL; when rawURL is not to be linked, it is the label alone.
// A blank label is shown as Untitled.
func Link(label, rawURL string) string {
	target := URL(rawURL)
	if target == "" {
		return Text(label)
	}
	if strings.TrimSpace(label) == "" {
		label = Untitled
	}
	return "[" + Text(label) + "](<" + target + ">)"
}

const hex = "0123456789ABCDEF"

// mustEncode reports whether c, a byte of a URL after its host, is
// percent-encoded in a link.
func mustEncode(c byte) bool {
	return c <= ' ' || c >= 0x7f || strings.IndexByte("()[]<>\"`{}|^", c) >= 0
}

// validAuthority reports whether a URL's authority, a host and perhaps a
// port, holds only what a host name, an IP address and a port are written
// with: nothing that could end a link.
func validAuthority(a string) bool {
	for _, r := range a {
		switch {
		case r < utf8.RuneSelf:
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-._:[]", r)) {
				return false
			}
		case !unicode.In(r, unicode.Letter, unicode.Mark, unicode.Digit):
			return false
		}
	}
	return true
}

// listNumber reports whether the "." at s[i] ends the number of a numbered
// list item: spaces, digits and ". " at the start of a line.
func listNumber(s string, i int) bool {
	if i+1 >= len(s) || (s[i+1] != ' ' && s[i+1] != '\t') {
		return false
	}
	j := i
	for j > 0 && '0' <= s[j-1] && s[j-1] <= '9' {
		j--
	}
	if j == i {
		return false
	}
	for j > 0 && s[j-1] == ' ' {
		j--
	}
	return j == 0 || s[j-1] == '\n'
}

// massMention reports whether s, which follows an "@", makes it a mention
// of everyone.
func massMention(s string) bool {
	return hasPrefixFold(s, "everyone") || hasPrefixFold(s, "here")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
