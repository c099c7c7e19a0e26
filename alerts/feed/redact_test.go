package feed

import (
	"errors"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a URL without secrets is unchanged", "https://news.example/rss?lang=en&page=2", "https://news.example/rss?lang=en&page=2"},
		{"a password is hidden and the user kept", "https://reader:hunter2@news.example/rss", "https://reader:xxxxx@news.example/rss"},
		{"a user name alone is hidden, as tokens are passed that way", "https://ghp_abc123@news.example/rss", "https://xxxxx@news.example/rss"},
		{"a token parameter is hidden", "https://news.example/rss?token=s3cret", "https://news.example/rss?token=xxxxx"},
		{"other parameters keep their order and values", "https://news.example/rss?z=1&api_key=k3y&a=2", "https://news.example/rss?z=1&api_key=xxxxx&a=2"},
		{"names are compared without case, dashes and underscores", "https://news.example/rss?Access-Token=a1&APIKEY=b2&Sig=c3",
			"https://news.example/rss?Access-Token=xxxxx&APIKEY=xxxxx&Sig=xxxxx"},
		{"suffixes catch variants", "https://news.example/rss?feed_token=a1&x-goog-signature=b2", "https://news.example/rss?feed_token=xxxxx&x-goog-signature=xxxxx"},
		{"a signed CDN link is hidden", "https://cdn.example/f.xml?X-Amz-Credential=AKIA&X-Amz-Signature=abcd&X-Amz-Expires=60",
			"https://cdn.example/f.xml?X-Amz-Credential=xxxxx&X-Amz-Signature=xxxxx&X-Amz-Expires=60"},
		{"an escaped secret name is recognised", "https://news.example/rss?api%5Fkey=k3y", "https://news.example/rss?api%5Fkey=xxxxx"},
		{"a parameter without a value is kept", "https://news.example/rss?token&x=1", "https://news.example/rss?token&x=1"},
		{"a token in the fragment is hidden", "https://news.example/rss#access_token=s3cret&state=1", "https://news.example/rss#access_token=xxxxx&state=1"},
		{"every secret of a URL is hidden at once", "http://u:pw@127.0.0.1:8080/feed?token=s3cret&key=k", "http://u:xxxxx@127.0.0.1:8080/feed?token=xxxxx&key=xxxxx"},
		{"unparseable text loses its query and user info", "http://u:pw@news.example:port/rss?token=s3cret", "http://xxxxx@news.example:port/rss?xxxxx"},
		{"empty stays empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactURL(tt.in); got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestErrorsDoNotRevealURLSecrets(t *testing.T) {
	const secretURL = "https://reader:hunter2@news.example/rss?token=s3cret"
	tests := []struct {
		name string
		err  func(t *testing.T) error
	}{
		{"a refused URL with user info", func(t *testing.T) error {
			_, err := newTestFetcher(t, Options{}).Fetch(t.Context(), secretURL, Validators{})
			return err
		}},
		{"a document that is not a feed", func(t *testing.T) error {
			_, err := Parse(secretURL, []byte("<html>not a feed</html>"), testNow)
			return err
		}},
		{"any error about the feed", func(t *testing.T) error {
			return &Error{URL: secretURL, Err: ErrTimeout}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err(t)
			if err == nil {
				t.Fatal("want an error")
			}
			msg := err.Error()
			for _, secret := range []string{"hunter2", "s3cret"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q reveals %q", msg, secret)
				}
			}
			if !strings.Contains(msg, "news.example/rss") {
				t.Errorf("error %q no longer names the feed", msg)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.URL != secretURL {
				t.Errorf("the error's URL field should keep the URL as given, for callers to match")
			}
		})
	}
}
