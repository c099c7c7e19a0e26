package discordtest

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// TestOpenReachesReady also covers heartbeats: every discordgo session open
// costs a second at Close, so the checks share one.
func TestOpenReachesReady(t *testing.T) {
	t.Parallel()
	// discordgo gives up after five intervals without an ACK; 250ms
	// leaves 1.25s of slack on a loaded machine.
	srv := newServer(t, WithHeartbeatInterval(250*time.Millisecond))
	// discordgo's state later overwrites the guild stubs in place, so the
	// handler copies what it needs, and the stubs are checked on the wire.
	type ready struct {
		sessionID, userID, appID string
		bot                      bool
		guilds                   int
	}
	readies := make(chan ready, 1)
	rawReady := make(chan []byte, 1)
	session := openSession(t, srv, func(s *discordgo.Session) {
		s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
			got := ready{sessionID: r.SessionID, guilds: len(r.Guilds)}
			if r.User != nil {
				got.userID, got.bot = r.User.ID, r.User.Bot
			}
			if r.Application != nil {
				got.appID = r.Application.ID
			}
			readies <- got
		})
		s.AddHandler(func(_ *discordgo.Session, e *discordgo.Event) {
			if e.Type == "READY" {
				rawReady <- e.RawData
			}
		})
	})
	r := receive(t, readies, "READY")
	want := ready{sessionID: r.sessionID, userID: DefaultBotUserID, appID: srv.ApplicationID(), bot: true, guilds: 1}
	if r != want {
		t.Errorf("READY = %+v, want %+v", r, want)
	}
	if len(r.sessionID) != 32 {
		t.Errorf("session_id = %q, want 32 hex digits", r.sessionID)
	}
	if raw := string(receive(t, rawReady, "raw READY")); !strings.Contains(raw, `"guilds":[{"id":"`+guildID+`","unavailable":true}]`) {
		t.Errorf("READY guilds are not unavailable stubs: %s", raw)
	}
	g, err := session.State.Guild(guildID)
	if err != nil {
		t.Fatalf("state has no guild after GUILD_CREATE: %v", err)
	}
	if len(g.Channels) != 3 || len(g.Roles) != 3 || len(g.Members) != 2 {
		t.Errorf("guild in state has %d channels, %d roles, %d members; want 3, 3, 2", len(g.Channels), len(g.Roles), len(g.Members))
	}
	st := srv.GatewayStats()
	if st.Identifies != 1 || !st.LastCompress || st.LastIntents != int(discordgo.IntentsAllWithoutPrivileged) {
		t.Errorf("gateway stats = %+v, want one compressed identify with default intents", st)
	}

	t.Run("heartbeats are acknowledged over several intervals", func(t *testing.T) {
		waitFor(t, srv, "four heartbeats", func() bool { return srv.GatewayStats().Heartbeats >= 4 })
		// discordgo reconnects after five intervals without an ACK; still
		// being on the first connection proves every heartbeat was answered.
		if st := srv.GatewayStats(); st.Connections != 1 || st.Resumes != 0 {
			t.Errorf("gateway stats = %+v, want one connection and no resume", st)
		}
	})
}

func TestOpenWithWrongTokenFails(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	session, err := srv.NewSession("Bot not-the-token")
	if err != nil {
		t.Fatal(err)
	}
	err = session.Open()
	if err == nil {
		t.Fatal("Open with a wrong token succeeded")
	}
	if !strings.Contains(err.Error(), "4004") {
		t.Errorf("Open error = %v, want close code 4004", err)
	}
	if got := srv.GatewayStats().Identifies; got != 0 {
		t.Errorf("identifies = %d, want 0", got)
	}
}

// TestReconnect shares one discordgo session across its subtests, which run
// in order: every reconnect costs discordgo a one-second Close.
func TestReconnect(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	resumed := make(chan struct{}, 1)
	readies := make(chan string, 1)
	deleted := make(chan string, 1)
	openSession(t, srv, func(s *discordgo.Session) {
		s.AddHandler(func(*discordgo.Session, *discordgo.Resumed) { resumed <- struct{}{} })
		s.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) { readies <- r.SessionID })
		s.AddHandler(func(_ *discordgo.Session, c *discordgo.ChannelDelete) { deleted <- c.ID })
	})
	firstSession := receive(t, readies, "READY")

	resumes := []struct {
		name       string
		disconnect func(*Server)
	}{
		{name: "after the connection drops discordgo resumes and gets missed events", disconnect: (*Server).DropConnections},
		{name: "after op 7 Reconnect discordgo resumes and gets missed events", disconnect: (*Server).Reconnect},
	}
	for i, tt := range resumes {
		t.Run(tt.name, func(t *testing.T) {
			tt.disconnect(srv)
			// Sent while discordgo is reconnecting: it must be replayed.
			srv.Dispatch("CHANNEL_DELETE", map[string]any{"id": otherChannelID, "guild_id": guildID, "type": 0})
			receive(t, resumed, "RESUMED")
			if got := receive(t, deleted, "missed CHANNEL_DELETE"); got != otherChannelID {
				t.Errorf("missed event channel = %s, want %s", got, otherChannelID)
			}
			srv.Dispatch("CHANNEL_DELETE", map[string]any{"id": alertsChannelID, "guild_id": guildID, "type": 0})
			if got := receive(t, deleted, "event after resume"); got != alertsChannelID {
				t.Errorf("event after resume channel = %s, want %s", got, alertsChannelID)
			}
			if st := srv.GatewayStats(); st.Identifies != 1 || st.Resumes != i+1 {
				t.Errorf("gateway stats = %+v, want one identify and %d resumes", st, i+1)
			}
		})
	}

	t.Run("after op 9 Invalid Session discordgo identifies again", func(t *testing.T) {
		srv.InvalidateSessions()
		if second := receive(t, readies, "READY after op 9"); second == firstSession {
			t.Errorf("session ID %s reused after invalidation", second)
		}
		if st := srv.GatewayStats(); st.Identifies != 2 || st.InvalidSessions != 1 {
			t.Errorf("gateway stats = %+v, want two identifies and one invalid session", st)
		}
		srv.Dispatch("CHANNEL_DELETE", map[string]any{"id": otherChannelID, "guild_id": guildID, "type": 0})
		if got := receive(t, deleted, "event on the new session"); got != otherChannelID {
			t.Errorf("event channel = %s, want %s", got, otherChannelID)
		}
	})
}
