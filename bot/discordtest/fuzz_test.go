package discordtest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// post sends a raw REST request to the fake as the bot.
func post(t *testing.T, srv *Server, method, path string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, "https://discord.com/api/v9"+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", srv.Token())
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// FuzzMessageCreate checks that any body gets a Discord answer: a message
// that is then stored, or a 400 with Discord's error shape.
func FuzzMessageCreate(f *testing.F) {
	for _, seed := range []string{
		`{"content":"hello"}`,
		`{"content":"<@1> @everyone","allowed_mentions":{"parse":["users"],"users":["1"]}}`,
		`{"content":"x","nonce":12345,"enforce_nonce":true}`,
		`{"content":"x","nonce":"abc","enforce_nonce":true}`,
		`{"nonce":1.5,"content":"x"}`,
		`{"embeds":[{"title":"t","fields":[{"name":"","value":""}]}]}`,
		`{"embeds":[null],"components":[{"type":1}]}`,
		`{"content":null}`,
		`{}`,
		`[]`,
		`{"content":`,
		``,
	} {
		f.Add([]byte(seed))
	}
	srv := NewServer(f, WithGuild(loadGuild(f)), WithRateLimit(RateLimits{}))
	f.Fuzz(func(t *testing.T, body []byte) {
		status, answer := post(t, srv, http.MethodPost, "/channels/"+alertsChannelID+"/messages", body)
		switch status {
		case http.StatusOK:
			var m struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(answer, &m); err != nil || m.ID == "" {
				t.Fatalf("200 answer without a message: %s", answer)
			}
		case http.StatusBadRequest:
			var e struct {
				Message string `json:"message"`
				Code    *int   `json:"code"`
			}
			if err := json.Unmarshal(answer, &e); err != nil || e.Message == "" || e.Code == nil {
				t.Fatalf("400 answer without Discord's error shape: %s", answer)
			}
		default:
			t.Fatalf("status %d for body %q: %s", status, body, answer)
		}
	})
}

// FuzzCommandsBulkOverwrite checks that any body is stored whole or refused
// whole.
func FuzzCommandsBulkOverwrite(f *testing.F) {
	for _, seed := range []string{
		`[{"name":"subscribe","description":"Watch a query","options":[{"type":3,"name":"query","description":"q","required":true}]}]`,
		`[{"name":"feeds","description":"d","options":[{"type":2,"name":"g","description":"d","options":[{"type":1,"name":"add","description":"d"}]}]}]`,
		`[{"name":"Report","type":3}]`,
		`[{"name":"x","description":"d","options":[{"type":3,"name":"a","description":"d","choices":[{"name":"n","value":"v"}],"autocomplete":true}]}]`,
		`[null]`,
		`[]`,
		`{}`,
	} {
		f.Add([]byte(seed))
	}
	srv := NewServer(f, WithGuild(loadGuild(f)), WithRateLimit(RateLimits{}))
	path := "/applications/" + srv.ApplicationID() + "/guilds/" + guildID + "/commands"
	f.Fuzz(func(t *testing.T, body []byte) {
		before := srv.Commands(guildID)
		status, answer := post(t, srv, http.MethodPut, path, body)
		switch status {
		case http.StatusOK:
			var cmds []*discordgo.ApplicationCommand
			if err := json.Unmarshal(answer, &cmds); err != nil {
				t.Fatalf("200 answer is not a command list: %s", answer)
			}
			stored := srv.Commands(guildID)
			if len(stored) != len(cmds) {
				t.Fatalf("answered %d commands, stored %d", len(cmds), len(stored))
			}
			for _, c := range cmds {
				if c.ID == "" || c.ApplicationID != srv.ApplicationID() {
					t.Fatalf("command without ID or application: %+v", c)
				}
			}
		case http.StatusBadRequest:
			if after := srv.Commands(guildID); len(after) != len(before) {
				t.Fatalf("a refused overwrite changed the commands from %d to %d", len(before), len(after))
			}
		default:
			t.Fatalf("status %d for body %q: %s", status, body, answer)
		}
	})
}

// FuzzGatewayFrame sends one arbitrary frame after IDENTIFY: the fake must
// either keep serving (a heartbeat still gets its ACK) or close with a
// Discord close code.
func FuzzGatewayFrame(f *testing.F) {
	for _, seed := range []string{
		`{"op":1,"d":null}`,
		`{"op":1,"d":7}`,
		`{"op":3,"d":{"status":"online","activities":[]}}`,
		`{"op":2,"d":{"token":"x"}}`,
		`{"op":6,"d":{"token":"x","session_id":"y","seq":-1}}`,
		`{"op":8,"d":{"guild_id":"1","query":"","limit":0}}`,
		`{"op":-1}`,
		`{"op":"1"}`,
		`null`,
		`[]`,
		`{`,
	} {
		f.Add([]byte(seed))
	}
	srv := NewServer(f, WithGuild(loadGuild(f)))
	f.Fuzz(func(t *testing.T, frame []byte) {
		c := dialAndHello(t, srv)
		c.identify(srv.Token(), false)
		c.expectDispatch("READY", 1)
		c.expectDispatch("GUILD_CREATE", 2)
		if err := c.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			t.Fatal(err)
		}
		c.send(opHeartbeat, nil)
		for {
			p, _, err := c.readFrame()
			var ce *websocket.CloseError
			switch {
			case errors.As(err, &ce):
				if ce.Code < 4000 || ce.Code > 4014 {
					t.Fatalf("closed with %d for %q, want a Discord close code", ce.Code, frame)
				}
				return
			case err != nil:
				t.Fatalf("connection failed for %q: %v", frame, err)
			case p.Op == opHeartbeatACK:
				return
			case p.Op == opDispatch || p.Op == opInvalidSession:
				// A valid RESUME or IDENTIFY in the frame answers first.
			default:
				t.Fatalf("unexpected op %d for %q", p.Op, frame)
			}
		}
	})
}
