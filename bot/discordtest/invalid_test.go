package discordtest

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTenThousandInvalidRequestsIn10MinutesBanTheClientForAnHour(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := NewServer(t, WithClock(clock))
	client := srv.HTTPClient()
	get := func() (int, string) {
		// A millisecond a request, so the fake's route limits pass.
		mu.Lock()
		now = now.Add(time.Millisecond)
		mu.Unlock()
		req, _ := http.NewRequest(http.MethodGet, "https://discord.com/api/v9/users/@me", nil)
		req.Header.Set("Authorization", srv.Token())
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type") + " " + string(body)
	}
	srv.FailNext(http.MethodGet, "/users/@me", invalidRequestLimit, MissingPermissions())
	for range invalidRequestLimit {
		if status, _ := get(); status != http.StatusForbidden {
			t.Fatalf("status %d, want the injected 403", status)
		}
	}
	if srv.Banned() || srv.InvalidRequests() != invalidRequestLimit {
		t.Fatalf("banned=%v after %d invalid requests; the ban comes past 10,000", srv.Banned(), srv.InvalidRequests())
	}
	// An old invalid request leaves the window: still no ban.
	mu.Lock()
	now = now.Add(invalidRequestWindow)
	mu.Unlock()
	if n := srv.InvalidRequests(); n != 0 {
		t.Errorf("%d invalid requests counted after 10 minutes, want 0", n)
	}
	srv.FailNext(http.MethodGet, "/users/@me", invalidRequestLimit+1, MissingPermissions())
	for range invalidRequestLimit + 1 {
		get()
	}
	if !srv.Banned() {
		t.Fatal("not banned after 10,001 invalid requests in 10 minutes")
	}
	status, body := get()
	if status != http.StatusTooManyRequests || !strings.Contains(body, "text/html") || !strings.Contains(body, "1015") {
		t.Errorf("banned answer = %d %q, want Cloudflare's 429 in HTML", status, body)
	}
	mu.Lock()
	now = now.Add(banDuration + time.Second)
	mu.Unlock()
	if status, _ := get(); status != http.StatusOK {
		t.Errorf("status %d an hour later, want the ban lifted", status)
	}
}

func TestARevokedTokenGets401AndTheGatewayCloses4004(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.RevokeToken()
	req, _ := http.NewRequest(http.MethodGet, "https://discord.com/api/v9/users/@me", nil)
	req.Header.Set("Authorization", srv.Token())
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d with a revoked token, want 401", resp.StatusCode)
	}
}

func TestWhichAnswersCountAsInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault *Fault
		token string
		want  int
	}{
		{name: "a 200 does not count", want: 0},
		{name: "a 401 for a wrong token counts", token: "Bot wrong", want: 1},
		{name: "an injected 403 counts", fault: MissingAccess(), want: 1},
		{name: "an injected user 429 counts", fault: TooManyRequests(time.Second, false), want: 1},
		{name: "an injected global 429 counts", fault: TooManyRequests(time.Second, true), want: 1},
		{name: "a shared-scope 429 does not count", fault: &Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second, Shared: true}, want: 0},
		{name: "a 404 does not count", fault: UnknownChannel(), want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			if tt.fault != nil {
				srv.FailNext(http.MethodGet, "/users/@me", 1, tt.fault)
			}
			token := tt.token
			if token == "" {
				token = srv.Token()
			}
			req, _ := http.NewRequest(http.MethodGet, "https://discord.com/api/v9/users/@me", nil)
			req.Header.Set("Authorization", token)
			resp, err := srv.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if tt.fault != nil && tt.fault.Shared && resp.Header.Get("X-RateLimit-Scope") != "shared" {
				t.Errorf("X-RateLimit-Scope = %q, want shared", resp.Header.Get("X-RateLimit-Scope"))
			}
			if got := srv.InvalidRequests(); got != tt.want {
				t.Errorf("InvalidRequests = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestABannedClientIsRefusedOnEveryPath(t *testing.T) {
	t.Parallel()
	clock := &manualClock{now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	srv := newServer(t, WithClock(clock.Now))
	// Fill the window without 10,000 round trips: the counting itself is
	// what TestTenThousandInvalidRequests... drives over HTTP.
	srv.mu.Lock()
	for range invalidRequestLimit {
		srv.countInvalidLocked(http.StatusForbidden, clock.Now())
	}
	srv.mu.Unlock()
	srv.FailNext(http.MethodGet, "/users/@me", 1, MissingAccess())
	send := func(method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, "https://discord.com/api/v9"+path, nil)
		req.Header.Set("Authorization", srv.Token())
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type") + " " + string(body)
	}
	if status, _ := send(http.MethodGet, "/users/@me"); status != http.StatusForbidden || !srv.Banned() {
		t.Fatalf("status %d, banned %v; want the 10,001st invalid answer to ban", status, srv.Banned())
	}
	for _, path := range []string{"/users/@me", "/guilds/" + guildID + "/audit-logs", "/channels/" + alertsChannelID + "/messages"} {
		status, body := send(http.MethodGet, path)
		if status != http.StatusTooManyRequests || !strings.HasPrefix(body, "text/html") || !strings.Contains(body, "error code: 1015") {
			t.Errorf("GET %s while banned = %d %q, want Cloudflare's HTML 429", path, status, body)
		}
	}
	clock.Advance(banDuration - time.Second)
	if !srv.Banned() {
		t.Error("the ban ended before an hour")
	}
	clock.Advance(2 * time.Second)
	if status, _ := send(http.MethodGet, "/users/@me"); status != http.StatusOK || srv.Banned() {
		t.Errorf("status %d an hour later, want the ban lifted", status)
	}
}
