package discordtest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// IDs from testdata/guild.json.
const (
	guildID         = "900000000000000001"
	alertsChannelID = "900000000000000010"
	otherChannelID  = "900000000000000011"
	categoryID      = "900000000000000012"
	analystRoleID   = "900000000000000002"
	aliceID         = "900000000000000100"
)

// alice is the guild member who runs commands in tests.
var alice = Member{User: User{ID: aliceID, Username: "alice"}, Roles: []string{analystRoleID}, Permissions: discordgo.PermissionManageChannels}

// loadGuild reads the guild fixture.
func loadGuild(t testing.TB) *discordgo.Guild {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "guild.json"))
	if err != nil {
		t.Fatalf("read guild fixture: %v", err)
	}
	var g discordgo.Guild
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("decode guild fixture: %v", err)
	}
	return &g
}

// newServer starts a fake with the fixture guild.
func newServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return NewServer(t, append([]Option{WithGuild(loadGuild(t))}, opts...)...)
}

// openSession opens a discordgo session against srv after setup has added
// its handlers, and waits for the fixture guild to arrive.
func openSession(t testing.TB, srv *Server, setup func(*discordgo.Session)) *discordgo.Session {
	t.Helper()
	session, err := srv.NewSession(srv.Token())
	if err != nil {
		t.Fatal(err)
	}
	guildReady := make(chan struct{}, 1)
	session.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) {
		if g.ID == guildID {
			select {
			case guildReady <- struct{}{}:
			default:
			}
		}
	})
	if setup != nil {
		setup(session)
	}
	if err := session.Open(); err != nil {
		t.Fatalf("open session: %v", err)
	}
	receive(t, guildReady, "GUILD_CREATE of the fixture guild")
	return session
}

// testTimeout bounds every wait in these tests; generous for a loaded CI
// machine, never reached when things work.
const testTimeout = 10 * time.Second

// receive waits for a value on ch.
func receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// waitFor waits for cond with the test timeout.
func waitFor(t testing.TB, srv *Server, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := srv.WaitFor(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
