package discordtest

import (
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// serverGoroutines returns the stacks of goroutines running the fake's code.
func serverGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "bot/discordtest.(*Server)") || strings.Contains(g, "bot/discordtest.(*gatewayConn)") ||
			strings.Contains(g, "net/http/httptest.(*Server)") {
			out = append(out, g)
		}
	}
	return out
}

// TestCloseStopsEveryGoroutine is not parallel: it inspects every goroutine
// of the process, and parallel tests only start once it is done.
func TestCloseStopsEveryGoroutine(t *testing.T) {
	srv := newServer(t)
	c := dialAndHello(t, srv)
	c.identify(srv.Token(), true)
	c.expectDispatch("READY", 1)
	c.expectDispatch("GUILD_CREATE", 2)

	srv.FailNext("GET", "/users/@me", 1, Slow(time.Minute))
	errc := make(chan error, 1)
	req, err := http.NewRequest(http.MethodGet, discordgo.EndpointUser("@me"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", srv.Token())
	go func() {
		resp, err := srv.HTTPClient().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	waitFor(t, srv, "the slow request to arrive", func() bool { return len(srv.Requests()) == 1 })

	start := time.Now()
	srv.Close()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Close took %v with a slow answer and a gateway connection open", took)
	}
	if err := receive(t, errc, "the slow request to end"); err == nil {
		t.Errorf("the slow request got an answer from a closed server")
	}
	if _, _, err := c.readFrame(); err == nil {
		t.Errorf("the gateway connection survived Close")
	}
	deadline := time.Now().Add(testTimeout)
	for {
		left := serverGoroutines()
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines of the fake outlived Close:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.Close() // a second Close is harmless
}
