package bot_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/bot"
	"github.com/vigilbot/vigil/bot/discordtest"
	"github.com/vigilbot/vigil/storage"
)

// newUnconnectedBot is a bot on a fake Discord and a database, not yet
// connected; the test connects it.
func newUnconnectedBot(t *testing.T, srv *discordtest.Server) *bot.Bot {
	t.Helper()
	db, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "vigil.db"), storage.WithLimits(alerts.DefaultLimits))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b, err := bot.New(bot.Config{
		Token:      strings.TrimPrefix(srv.Token(), "Bot "),
		GuildID:    guildID,
		Places:     places(t),
		Store:      db,
		Changed:    func() {},
		HTTPClient: srv.HTTPClient(),
		Logger:     quiet,
		Now:        time.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// A connection attempt can fail after the gateway is up: registering the
// slash commands is a REST call, and Discord may go down just then. The
// gateway is discordgo's to keep from that moment (it reconnects it by
// itself), so the next attempt must carry on from it rather than close it or
// be refused by it: "web socket already opened" once made Connect retry
// forever while delivery never started.
func TestConnectFinishesOnTheGatewayAnEarlierAttemptOpened(t *testing.T) {
	tests := []struct {
		name string
		// dropGateway also cuts the gateway connection when registration
		// fails, so discordgo is reconnecting it while Connect retries.
		dropGateway bool
		// wantConnections is how many gateway connections the fake
		// accepts in all.
		wantConnections int
	}{
		{"registration fails, gateway stays up", false, 1},
		{"registration fails as the gateway drops", true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := discordtest.NewServer(t, discordtest.WithGuild(&discordgo.Guild{ID: guildID, Name: "Security Desk"}))
			failed := make(chan struct{})
			var once bool
			srv.Inject(func(r *http.Request) *discordtest.Fault {
				if r.Method != http.MethodPut || !strings.HasSuffix(r.URL.Path, "/commands") || once {
					return nil
				}
				once = true
				defer close(failed)
				if tt.dropGateway {
					srv.DropConnections()
				}
				return &discordtest.Fault{Status: http.StatusInternalServerError, Message: "500: Internal Server Error"}
			})
			b := newUnconnectedBot(t, srv)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			began := time.Now()
			if err := b.Connect(ctx); err != nil {
				t.Fatalf("Connect after one failed registration: %v", err)
			}
			select {
			case <-failed:
			default:
				t.Fatal("the registration fault was never hit")
			}
			if took := time.Since(began); took > 10*time.Second {
				t.Errorf("Connect took %v; one retry after a second is all it needs", took)
			}
			if got := len(srv.Commands(guildID)); got != 4 {
				t.Errorf("%d slash commands registered, want 4", got)
			}
			if !b.Connection().Connected {
				t.Error("Connection() says not connected after Connect returned")
			}
			if tt.dropGateway {
				// discordgo resumes the dropped connection in its own time.
				wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
				defer wcancel()
				if err := srv.WaitFor(wctx, func() bool { return srv.GatewayStats().Resumes > 0 }); err != nil {
					t.Fatalf("the dropped gateway was never resumed: %v", err)
				}
			}
			if got := srv.GatewayStats(); got.Connections != tt.wantConnections || got.Identifies != 1 {
				t.Errorf("the fake saw %d gateway connections and %d IDENTIFYs, want %d and 1: Connect closed a gateway that was up or being resumed",
					got.Connections, got.Identifies, tt.wantConnections)
			}
		})
	}
}
