package poll_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/feed"
	"github.com/vigilbot/vigil/alerts/logtest"
	"github.com/vigilbot/vigil/alerts/poll"
)

// memStore holds feeds' poll state in memory.
type memStore struct {
	mu    sync.Mutex
	feeds map[string]alerts.Feed
}

func (s *memStore) Feed(ctx context.Context, url string) (alerts.Feed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.feeds[url], nil
}

func (s *memStore) RecordPoll(ctx context.Context, url string, r alerts.PollResult) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.feeds[url]
	f.LastPollAt = r.At
	f.ConsecutiveFailures++
	s.feeds[url] = f
	return nil
}

func TestFailedPollLogsDoNotRevealURLSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name    string
		url     string
		secrets []string
	}{
		{"a password in the URL", "http://reader:hunter2@" + host + "/feed?token=s3cret", []string{"hunter2", "s3cret"}},
		{"tokens in the query", srv.URL + "/feed?token=s3cret&api_key=k3y&lang=en", []string{"s3cret", "k3y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs logtest.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			polled := make(chan struct{}, 1)
			p := poll.New(poll.Config{
				Fetcher:   feed.NewFetcher(feed.Options{AllowPrivate: true, Timeout: 2 * time.Second, Logger: log}),
				Store:     &memStore{feeds: map[string]alerts.Feed{tt.url: {URL: tt.url}}},
				Processor: &nopProcessor{},
				Logger:    log,
				OnPoll: func(string, poll.Outcome, error) {
					select {
					case polled <- struct{}{}:
					default:
					}
				},
			})
			p.Start(t.Context())
			p.Sync([]alerts.Feed{{URL: tt.url}})
			select {
			case <-polled:
			case <-time.After(5 * time.Second):
				t.Fatal("the feed was not polled")
			}
			// The failure is logged by the poll's own goroutine, which
			// may still be on its way there.
			for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), "could not poll") && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			if err := p.Stop(t.Context()); err != nil {
				t.Fatal(err)
			}
			out := logs.String()
			if !strings.Contains(out, "could not poll") {
				t.Fatalf("no failure logged:\n%s", out)
			}
			for _, s := range tt.secrets {
				if strings.Contains(out, s) {
					t.Errorf("the log reveals %q:\n%s", s, out)
				}
			}
			if !strings.Contains(out, host+"/feed") {
				t.Errorf("the log no longer says which feed failed:\n%s", out)
			}
		})
	}
}
