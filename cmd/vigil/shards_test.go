package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/bot/discordtest"
)

// One `vigil run` with discord.shard_count = 2 and no peers holds both
// shards, and /healthz and /metrics say so. It has no feeds: a token alone
// is enough to run, for /feeds add.
func TestRunAloneHoldsEveryShardAndReportsThem(t *testing.T) {
	const count = 2
	opts := []discordtest.Option{discordtest.WithMaxConcurrency(count)}
	for n := range count {
		// (id >> 22) % 2 == n: the guild's events go to shard n.
		id := strconv.FormatUint((1_000_000_000_000+uint64(n))<<22, 10)
		opts = append(opts, discordtest.WithGuild(&discordgo.Guild{ID: id, Name: fmt.Sprintf("Desk %d", n)}))
	}
	discord := discordtest.NewServer(t, opts...)
	cfgPath := writeConfig(t, fmt.Sprintf(`
[discord]
token = %q
shard_count = %d
[storage]
path = %q
[metrics]
address = "127.0.0.1:0"
[log]
level = "warn"
`, strings.TrimPrefix(discord.Token(), "Bot "), count, filepath.Join(t.TempDir(), "vigil.db")))
	svc := startAgainstFake(t, cfgPath, discord)
	t.Cleanup(func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		svc.stop(stopCtx)
	})
	waitFor(t, "both shards to be open", func() bool {
		live := discord.ShardSessions()
		return live["0/2"] == 1 && live["1/2"] == 1 && slices.Equal(svc.bot.Shards(), []int{0, 1})
	})
	get := func(path string) string {
		resp, err := http.Get("http://" + svc.opsAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got, want := get("/healthz"), "discord: this process holds gateway shards 0, 1 of 2"; !strings.Contains(got, want) {
		t.Errorf("/healthz = %q, want it to contain %q", got, want)
	}
	metrics := get("/metrics")
	for _, want := range []string{"vigil_discord_shards_held 2", "vigil_discord_shard_count 2"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
