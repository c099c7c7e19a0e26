package discordtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// shardedGuild is a guild whose events go to shard want of count:
// Discord routes by (guild_id >> 22) % count.
func shardedGuild(want, count int) *discordgo.Guild {
	t := uint64(1_000_000_000_000) // a timestamp part, ms since Discord's epoch
	t += uint64((want - int(t%uint64(count)) + count) % count)
	id := strconv.FormatUint(t<<22, 10)
	return &discordgo.Guild{ID: id, Name: "guild on shard " + strconv.Itoa(want)}
}

// identifyShard sends IDENTIFY for shard [n, count].
func (c *wsClient) identifyShard(token string, n, count int) {
	c.t.Helper()
	c.send(opIdentify, map[string]any{"token": token, "intents": 513, "shard": []int{n, count}, "properties": map[string]string{"os": "linux"}})
}

// readyGuilds reads READY and the GUILD_CREATEs that follow it, and returns
// READY's guild IDs and the GUILD_CREATEs' (as many as READY listed).
func (c *wsClient) readyGuilds() (ready, created []string) {
	c.t.Helper()
	p := c.expectDispatch("READY", 1)
	var d struct {
		Guilds []struct{ ID string } `json:"guilds"`
		Shard  []int                 `json:"shard"`
	}
	if err := json.Unmarshal(p.D, &d); err != nil {
		c.t.Fatal(err)
	}
	for _, g := range d.Guilds {
		ready = append(ready, g.ID)
	}
	for i := range ready {
		var g struct{ ID string }
		json.Unmarshal(c.expectDispatch("GUILD_CREATE", int64(i+2)).D, &g)
		created = append(created, g.ID)
	}
	return ready, created
}

func TestShardOfFollowsDiscordsFormula(t *testing.T) {
	tests := []struct {
		guild  string
		shards int
		want   int
	}{
		// 197038439483310086 >> 22 is 46977624770.
		{"197038439483310086", 2, 0},
		{"197038439483310086", 3, 2},
		{"197038439483310086", 1, 0},
		{"41771983423143937", 10, 41771983423143937 >> 22 % 10},
		{"", 4, 0}, // a DM: shard 0
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("guild %s of %d shards", tt.guild, tt.shards), func(t *testing.T) {
			if got := ShardOf(tt.guild, tt.shards); got != tt.want {
				t.Errorf("ShardOf = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestIdentifyWithAShardOutOfRangeIsClosedWith4010(t *testing.T) {
	tests := []struct {
		name  string
		shard []int
	}{
		{"shard id equal to the count", []int{3, 3}},
		{"negative shard id", []int{-1, 2}},
		{"zero shards", []int{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			c := dialAndHello(t, srv)
			c.send(opIdentify, map[string]any{"token": srv.Token(), "intents": 513, "shard": tt.shard})
			if code := c.closeCode(); code != CloseInvalidShard {
				t.Errorf("close code %d, want %d Invalid shard", code, CloseInvalidShard)
			}
		})
	}
}

func TestEachShardGetsOnlyItsGuilds(t *testing.T) {
	t.Parallel()
	g0, g1 := shardedGuild(0, 2), shardedGuild(1, 2)
	srv := NewServer(t, WithGuild(g0), WithGuild(g1), WithRecommendedShards(2))
	c0, c1 := dialAndHello(t, srv), dialAndHello(t, srv)
	c0.identifyShard(srv.Token(), 0, 2)
	c1.identifyShard(srv.Token(), 1, 2)
	for _, tt := range []struct {
		c    *wsClient
		want string
	}{{c0, g0.ID}, {c1, g1.ID}} {
		ready, created := tt.c.readyGuilds()
		if !slices.Equal(ready, []string{tt.want}) || !slices.Equal(created, []string{tt.want}) {
			t.Errorf("READY listed %v and GUILD_CREATE sent %v, want only %s", ready, created, tt.want)
		}
	}

	// An interaction in guild 1 goes to shard 1 only; a DM to shard 0.
	srv.SlashCommand(g1.ID, "", Member{User: User{ID: aliceID, Username: "alice"}, Permissions: discordgo.PermissionAdministrator}, "ping")
	p := c1.expectDispatch("INTERACTION_CREATE", 3)
	var i struct {
		GuildID string `json:"guild_id"`
	}
	json.Unmarshal(p.D, &i)
	if i.GuildID != g1.ID {
		t.Errorf("shard 1 got an interaction of guild %s, want %s", i.GuildID, g1.ID)
	}
	srv.DMSlashCommand(User{ID: aliceID, Username: "alice"}, "ping")
	c0.expectDispatch("INTERACTION_CREATE", 3)
	if got := srv.GatewayStats().Dispatched; got != 2+2+2 {
		t.Errorf("%d events dispatched, want 6: the interaction and the DM went to one shard each", got)
	}
	if got := srv.ShardSessions(); got["0/2"] != 1 || got["1/2"] != 1 {
		t.Errorf("ShardSessions = %v, want one session on each of 0/2 and 1/2", got)
	}
}

func TestASecondSessionOnALiveShardIsAllowedAndGetsItsEventsToo(t *testing.T) {
	// Discord does not refuse a second IDENTIFY of a shard that has a
	// session: both sessions get the shard's events. A bot that does this
	// answers each slash command twice; ShardSessions lets a test catch it.
	t.Parallel()
	g := shardedGuild(1, 2)
	srv := NewServer(t, WithGuild(g))
	a, b := dialAndHello(t, srv), dialAndHello(t, srv)
	a.identifyShard(srv.Token(), 1, 2)
	a.readyGuilds()
	b.identifyShard(srv.Token(), 1, 2)
	b.readyGuilds()
	if got := srv.ShardSessions()["1/2"]; got != 2 {
		t.Errorf("ShardSessions()[1/2] = %d, want 2", got)
	}
	srv.SlashCommand(g.ID, "", Member{User: User{ID: aliceID, Username: "alice"}, Permissions: discordgo.PermissionAdministrator}, "ping")
	a.expectDispatch("INTERACTION_CREATE", 3)
	b.expectDispatch("INTERACTION_CREATE", 3)
}

func TestShardingIsRequiredPastTheGuildsOneSessionMayHold(t *testing.T) {
	g0, g1 := shardedGuild(0, 2), shardedGuild(1, 2)
	tests := []struct {
		name  string
		shard []int // nil: no shard in IDENTIFY
		want  int   // close code, 0 for READY
	}{
		{"unsharded with two guilds", nil, CloseShardingRequired},
		{"shard 0 of 1 with two guilds", []int{0, 1}, CloseShardingRequired},
		{"shard 0 of 2 with one guild", []int{0, 2}, 0},
		{"shard 1 of 2 with one guild", []int{1, 2}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := NewServer(t, WithGuild(g0), WithGuild(g1), WithMaxGuildsPerShard(1))
			c := dialAndHello(t, srv)
			d := map[string]any{"token": srv.Token(), "intents": 513}
			if tt.shard != nil {
				d["shard"] = tt.shard
			}
			c.send(opIdentify, d)
			if tt.want == 0 {
				c.expectDispatch("READY", 1)
				return
			}
			if code := c.closeCode(); code != tt.want {
				t.Errorf("close code %d, want %d Sharding required", code, tt.want)
			}
			if got := srv.GatewayStats().ShardingRequired; got != 1 {
				t.Errorf("ShardingRequired = %d, want 1", got)
			}
		})
	}
}

func TestIdentifiesPastMaxConcurrencyGetInvalidSession(t *testing.T) {
	// Discord: max_concurrency IDENTIFYs per 5 seconds, one per
	// rate_limit_key = shard_id % max_concurrency; one more is answered
	// with op 9 Invalid Session.
	tests := []struct {
		name           string
		maxConcurrency int
		shards         [][2]int
		limited        []bool // per IDENTIFY, in order
	}{
		{"one at a time: the second within 5 s is refused", 1, [][2]int{{0, 2}, {1, 2}}, []bool{false, true}},
		{"two keys: shards 0 and 1 together, shard 2 shares 0's key", 2, [][2]int{{0, 3}, {1, 3}, {2, 3}}, []bool{false, false, true}},
		{"the same shard again within 5 s is refused", 4, [][2]int{{1, 4}, {1, 4}}, []bool{false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := NewServer(t, WithMaxConcurrency(tt.maxConcurrency))
			for i, sh := range tt.shards {
				c := dialAndHello(t, srv)
				c.identifyShard(srv.Token(), sh[0], sh[1])
				p := c.read()
				switch {
				case tt.limited[i] && p.Op != opInvalidSession:
					t.Errorf("IDENTIFY %d (shard %v): op %d, want 9 Invalid Session", i+1, sh, p.Op)
				case !tt.limited[i] && (p.Op != opDispatch || *p.T != "READY"):
					t.Errorf("IDENTIFY %d (shard %v): op %d, want READY", i+1, sh, p.Op)
				}
			}
			want := 0
			for _, l := range tt.limited {
				if l {
					want++
				}
			}
			if got := srv.GatewayStats().IdentifiesRateLimited; got != want {
				t.Errorf("IdentifiesRateLimited = %d, want %d", got, want)
			}
		})
	}
}

func TestGatewayBotReportsTheRecommendedShardsAndStartLimit(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithRecommendedShards(3), WithMaxConcurrency(2))
	req, err := http.NewRequest(http.MethodGet, srv.URL()+"/api/v9/gateway/bot", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", srv.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var gw discordgo.GatewayBotResponse
	if err := json.Unmarshal(body, &gw); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if gw.Shards != 3 || gw.SessionStartLimit.MaxConcurrency != 2 || gw.URL == "" {
		t.Errorf("GET /gateway/bot = %s, want shards 3, max_concurrency 2 and a url", body)
	}
}
