package feed

import (
	"strings"
	"testing"
)

func TestToUTF8(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		contentType string
		want        string
	}{
		{"UTF-8 without declarations is unchanged",
			"<rss>café</rss>", "application/rss+xml", "<rss>café</rss>"},
		{"a header charset converts a prolog without encoding",
			"<?xml version=\"1.0\"?><rss>caf\xe9</rss>", "text/xml; charset=ISO-8859-1",
			"<?xml version=\"1.0\"?><rss>café</rss>"},
		{"a prolog encoding is converted and rewritten to UTF-8",
			"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss>caf\xe9</rss>", "text/xml",
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>café</rss>"},
		{"a single-quoted prolog encoding is rewritten",
			"<?xml version='1.0' encoding='windows-1252'?><rss>\x93q\x94</rss>", "",
			"<?xml version='1.0' encoding='UTF-8'?><rss>\u201cq\u201d</rss>"},
		{"the prolog wins over a contradicting header",
			"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss>café</rss>", "text/xml; charset=ISO-8859-1",
			"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss>café</rss>"},
		{"a UTF-8 BOM is removed",
			"\xef\xbb\xbf<rss>café</rss>", "text/xml; charset=ISO-8859-1", "<rss>café</rss>"},
		{"a UTF-16LE BOM is decoded and the prolog rewritten",
			"\xff\xfe<\x00?\x00x\x00m\x00l\x00 \x00e\x00n\x00c\x00o\x00d\x00i\x00n\x00g\x00=\x00\"\x00U\x00T\x00F\x00-\x001\x006\x00\"\x00?\x00>\x00\xe9\x00",
			"", "<?xml encoding=\"UTF-8\"?>é"},
		{"undeclared invalid UTF-8 is read as Windows-1252",
			"<rss>caf\xe9 \x80</rss>", "", "<rss>café €</rss>"},
		{"a wrong UTF-8 header on a legacy file falls back to Windows-1252",
			"<rss>caf\xe9</rss>", "text/xml; charset=utf-8", "<rss>café</rss>"},
		{"an unknown label on valid UTF-8 is dropped",
			"<?xml version=\"1.0\" encoding=\"klingon\"?><rss>café</rss>", "",
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>café</rss>"},
		{"JSON with a header charset is converted",
			"{\"title\":\"caf\xe9\"}", "application/feed+json; charset=iso-8859-1", "{\"title\":\"café\"}"},
		{"an HTML page with an ASCII head and UTF-8 later stays UTF-8",
			"<html><head><title>t</title></head>" + strings.Repeat(" ", 1100) + "<p>café</p>", "text/html",
			"<html><head><title>t</title></head>" + strings.Repeat(" ", 1100) + "<p>café</p>"},
		{"an HTML page with a header charset is converted",
			"<p>caf\xe9</p>", "text/html; charset=iso-8859-1", "<p>café</p>"},
		{"a feed served as text/html follows XML rules",
			"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss>caf\xe9</rss>", "text/html; charset=utf-8",
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>café</rss>"},
		{"an HTML page uses its meta charset",
			"<html><head><meta charset=\"iso-8859-1\"></head><p>caf\xe9</p>", "text/html",
			"<html><head><meta charset=\"iso-8859-1\"></head><p>café</p>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := toUTF8([]byte(tt.body), tt.contentType)
			if err != nil {
				t.Fatalf("toUTF8: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}

	t.Run("an unknown label on invalid UTF-8 is an error", func(t *testing.T) {
		if _, err := toUTF8([]byte("<rss>caf\xe9</rss>"), "text/xml; charset=klingon"); err == nil {
			t.Error("want an error")
		}
	})
}
