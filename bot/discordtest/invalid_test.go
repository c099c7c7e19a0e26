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
