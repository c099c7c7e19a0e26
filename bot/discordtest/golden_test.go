package discordtest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/<name>.golden, or rewrites it.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run with -update if the change is intended):\n%s", name, path, got)
	}
}

// transcript renders an answer as status, rate-limit headers and indented
// JSON, with the server's port replaced so the text is stable.
func transcript(t *testing.T, srv *Server, resp *http.Response) []byte {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n", resp.Status)
	var keys []string
	for k := range resp.Header {
		if strings.HasPrefix(k, "X-Ratelimit") || k == "Retry-After" || k == "Content-Type" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, resp.Header.Get(k))
	}
	if len(body) > 0 {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, body, "", "  "); err != nil {
			t.Fatalf("answer is not JSON: %s", body)
		}
		b.WriteString("\n")
		b.Write(pretty.Bytes())
		b.WriteString("\n")
	}
	return bytes.ReplaceAll(b.Bytes(), []byte(strings.TrimPrefix(srv.URL(), "http://")), []byte("127.0.0.1:PORT"))
}

// TestAnswersMatchGolden pins the wire shape of the fake's answers, so that
// a change to what the bot sees is a reviewed diff.
func TestAnswersMatchGolden(t *testing.T) {
	t.Parallel()
	limits := RateLimits{
		MessageCreate: Limit{Requests: 2, Per: 5 * time.Second},
		Route:         Limit{Requests: 5, Per: time.Second},
		Global:        Limit{Requests: 50, Per: time.Second},
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   string
	}{
		{
			name:   "message_create",
			method: http.MethodPost,
			path:   "/channels/" + alertsChannelID + "/messages",
			body:   `{"content":"<@` + aliceID + `> Ransomware hits Tallinn port","nonce":"story-42","enforce_nonce":true,"allowed_mentions":{"parse":[],"users":["` + aliceID + `"]},"embeds":[{"title":"Ransomware hits Tallinn port","url":"https://example.org/a","fields":[{"name":"Countries","value":"EE","inline":true}]}]}`,
		},
		{
			name:   "message_create_invalid_form_body",
			method: http.MethodPost,
			path:   "/channels/" + alertsChannelID + "/messages",
			body:   `{"content":"` + strings.Repeat("x", 2001) + `","embeds":[{"title":"` + strings.Repeat("t", 257) + `","fields":[{"name":"","value":"v"}]}]}`,
		},
		{
			name:   "message_create_rate_limited",
			method: http.MethodPost,
			path:   "/channels/" + alertsChannelID + "/messages",
			body:   `{"content":"third in the window"}`,
		},
		{
			name:   "commands_bulk_overwrite",
			method: http.MethodPut,
			path:   "/applications/" + DefaultBotUserID + "/guilds/" + guildID + "/commands",
			body:   `[{"name":"subscribe","description":"Watch a query","options":[{"type":3,"name":"query","description":"Search words","required":true}]}]`,
		},
		{
			name:   "unknown_route",
			method: http.MethodGet,
			path:   "/guilds/" + guildID + "/audit-logs",
		},
	}
	clock := &manualClock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	srv := newServer(t, WithClock(clock.Now), WithRateLimit(limits))
	client := srv.HTTPClient()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "message_create_rate_limited" {
				// Spend the window: the first case used one request.
				if got := len(srv.RequestsTo(http.MethodPost, "/channels/*/messages")); got < 2 {
					t.Skip("depends on the earlier message cases")
				}
			}
			req, err := http.NewRequest(tt.method, "https://discord.com/api/v9"+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", srv.Token())
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, transcript(t, srv, resp))
		})
	}
}
