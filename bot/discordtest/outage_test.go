package discordtest

import (
	"net/http"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestSetOutageAnswersNothingUntilItEnds(t *testing.T) {
	srv := newServer(t)
	c := dialAndHello(t, srv)
	c.identify(srv.Token(), false)
	c.expectDispatch("READY", 1)

	get := func() (*http.Response, error) {
		req, err := http.NewRequest(http.MethodGet, discordgo.EndpointUser("@me"), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", srv.Token())
		return srv.HTTPClient().Do(req)
	}
	srv.SetOutage(true)
	// Frames the fake wrote before the cut (a dispatch following READY) may
	// still be buffered on the client; the cut shows as the read after them.
	cut := false
	for range 50 {
		if _, _, err := c.readFrame(); err != nil {
			cut = true
			break
		}
	}
	if !cut {
		t.Error("the gateway connection survived the outage")
	}
	if resp, err := get(); err == nil {
		resp.Body.Close()
		t.Errorf("a REST request during the outage was answered %d, want no answer", resp.StatusCode)
	}
	before := len(srv.Requests())
	srv.SetOutage(false)
	resp, err := get()
	if err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after the outage GET /users/@me = %d, want 200", resp.StatusCode)
	}
	if got := len(srv.Requests()) - before; got != 1 {
		t.Errorf("%d requests recorded after the outage, want 1: what went unanswered is not recorded", got)
	}
	c2 := dialAndHello(t, srv)
	c2.identify(srv.Token(), false)
	c2.expectDispatch("READY", 1)
}
