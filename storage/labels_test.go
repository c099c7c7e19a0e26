package storage

import (
	"context"
	"errors"
	"testing"

	"github.com/vigilbot/vigil/alerts"
)

func TestFeedLabelsAreEachOwnersOwn(t *testing.T) {
	eachBackend(t, func(t *testing.T, eng backend) {
		ctx := context.Background()
		d := eng.open(t)
		const url = "https://news.err.ee/rss"
		for _, g := range []string{"g1", "g2"} {
			if _, err := d.AddGuildFeed(ctx, g, alerts.Feed{URL: url}); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.SetFeedLabel(ctx, "g1", url, FeedLabel{Title: "ERR News", SiteURL: "https://news.err.ee/", Category: "Defence/Europe"}); err != nil {
			t.Fatal(err)
		}
		if err := d.SetFeedLabel(ctx, "g3", url, FeedLabel{Title: "x"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("labelling a feed the server does not own: err = %v, want ErrNotFound", err)
		}
		l1, err := d.FeedLabels(ctx, "g1")
		if err != nil {
			t.Fatal(err)
		}
		if got := l1[url]; got.Title != "ERR News" || got.Category != "Defence/Europe" || got.SiteURL != "https://news.err.ee/" {
			t.Errorf("g1's label = %+v", got)
		}
		l2, err := d.FeedLabels(ctx, "g2")
		if err != nil {
			t.Fatal(err)
		}
		if got := l2[url]; got != (FeedLabel{}) {
			t.Errorf("g2 sees g1's label %+v", got)
		}
	})
}
