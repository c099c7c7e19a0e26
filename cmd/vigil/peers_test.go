package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/alerts/peer"
	"github.com/vigilbot/vigil/storage"
	"github.com/vigilbot/vigil/storage/storagetest"
)

// TestThreeProcessesShareOneDatabaseAndSurviveAKill runs three real vigil
// processes on one database against the fake Discord run as a process of
// its own, with 3 gateway shards and a guild on each, with feeds that keep
// growing, and kills one of them with SIGKILL while it is polling and
// sending. The other two must take over its feeds and gateway shards within
// the heartbeat timeout, no shard may ever have two sessions, a slash
// command on a taken-over shard must be answered once, and in the end every
// alert must have arrived once and in order, and every briefing once and
// whole.
func TestThreeProcessesShareOneDatabaseAndSurviveAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three vigil processes for about a minute")
	}
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		threeProcesses(t, dir, filepath.Join(dir, "vigil.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		threeProcesses(t, t.TempDir(), storagetest.DSN(t))
	})
}

// threeProcesses is the test on the database where names: a SQLite file or
// a PostgreSQL connection string.
func threeProcesses(t *testing.T, dir, where string) {
	vigilBin, fakeBin := buildSoakBinaries(t, dir)
	const nShards = 3
	// max_concurrency 3 lets the three shards IDENTIFY in the same five
	// seconds (each has its own rate-limit key), and the fake refuses any
	// IDENTIFY beyond that, as Discord does.
	ann := startFakeDiscord(t, fakeBin, "-channels", "1", "-guilds", "3", "-shards", fmt.Sprint(nShards), "-max-concurrency", fmt.Sprint(nShards))
	channels := ann.Channels

	const nFeeds = 6
	feeds := newSoakFeeds(nFeeds)
	srv := httptest.NewServer(feeds)
	t.Cleanup(srv.Close)

	dbPath := where
	storageConfig := fmt.Sprintf("path = %q", where)
	open := storage.Open
	if strings.HasPrefix(where, "postgres") {
		storageConfig = fmt.Sprintf("driver = \"postgres\"\ndsn = %q", where)
		open = storage.OpenPostgres
	}
	db, err := open(context.Background(), where)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ch := range channels {
		if _, err := db.AddSubscription(ctx, alerts.Subscription{GuildID: ann.guildOf(ch), ChannelID: ch, Query: "soak"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Two briefings fall due while the three run, at the next minute.
	briefed := channels[:2]
	due := time.Now().UTC().Add(time.Minute)
	for _, ch := range briefed {
		if err := db.SetBriefing(ctx, alerts.BriefingSetting{GuildID: ann.guildOf(ch), ChannelID: ch, At: due.Format("15:04"), Timezone: "UTC"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	var feedConfig strings.Builder
	for i := range nFeeds {
		fmt.Fprintf(&feedConfig, "[[feeds]]\nurl = %q\n", fmt.Sprintf("%s/feed%d.xml", srv.URL, i))
	}
	const peerTimeout = 3 * time.Second
	cfgPath := filepath.Join(dir, "vigil.toml")
	// No guild_id: the commands are registered globally, for the three
	// guilds. No shard_count: Discord's recommended count is asked.
	cfg := fmt.Sprintf(`[discord]
api_base = %q
[storage]
%s
[http]
allow_private_addresses = true
[polling]
default_interval = "30s"
jitter = "0s"
[peers]
timeout = %q
[metrics]
address = ""
[limits]
# Every item is an alert: no digest waiting out its ten minutes.
channel_alerts_per_hour = 3600
%s`, ann.APIBase, storageConfig, peerTimeout, feedConfig.String())
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func(i int) *exec.Cmd {
		cmd := exec.Command(vigilBin, "run", "--config", cfgPath)
		cmd.Env = append(os.Environ(), "VIGIL_DISCORD_TOKEN="+ann.Token)
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("vigil-%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { logf.Close() })
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	// 15 new items a feed per 30 s poll: under the 20 past which a burst
	// is folded into a digest that waits out its spacing.
	stopGrowing := feeds.grow(2 * time.Second)
	procs := []*exec.Cmd{start(0), start(1), start(2)}
	t.Cleanup(func() {
		for _, p := range procs {
			p.Process.Kill()
		}
		if t.Failed() {
			logTails(t, dir)
		}
	})

	// All three poll their share and send, and hold their shards; then
	// one that holds a shard dies mid-flight.
	waitForPeers(t, dbPath, 3)
	shards := watchShards(t, ann.Control, nShards)
	// The first process to start took every shard and hands each over to
	// its owner once it sees the others. A slash command sent in that
	// gap reaches no session, as on Discord, so the commands wait for it.
	holders := waitForShards(t, dbPath, ann.Control, nShards, 0)
	for _, ch := range channels {
		slashAnsweredOnce(t, ann.Control, ch)
	}
	victim := mostShards(procs, holders)
	var victimShards []int
	for n, pid := range holders {
		if pid == procs[victim].Process.Pid {
			victimShards = append(victimShards, n)
		}
	}
	slices.Sort(victimShards)
	killed := time.Now()
	procs[victim].Process.Signal(syscall.SIGKILL)
	procs[victim].Wait()
	victimPID := procs[victim].Process.Pid
	procs = slices.Delete(procs, victim, victim+1)
	waitForPeers(t, dbPath, 2)
	failover := time.Since(killed)
	if failover > peerTimeout+2*time.Second {
		t.Errorf("the killed process was counted dead %v after the kill; want within the %v timeout and a heartbeat", failover.Round(100*time.Millisecond), peerTimeout)
	}

	// Its shards are opened by the others, and a slash command on one of
	// them is answered, once.
	waitForShards(t, dbPath, ann.Control, nShards, victimPID)
	shardTakeover := time.Since(killed)
	// The lease lapses within peerTimeout of the kill; the new owner sees
	// it at its next pass (a third of it) and has READY within moments.
	// If the killed process had just opened a shard (it may have been
	// handed one moments before), Discord refuses another IDENTIFY on
	// that rate-limit key for five seconds, and the new owner waits them
	// out rather than be refused.
	const identifyWindow = 5 * time.Second
	if limit := max(peerTimeout, identifyWindow) + peerTimeout/3 + time.Second; shardTakeover > limit {
		t.Errorf("the killed process's shards %v were open elsewhere %v after the kill; want within %v (the lease or Discord's five seconds between IDENTIFYs on a key, then a pass of the new owner)",
			victimShards, shardTakeover.Round(100*time.Millisecond), limit)
	}
	for _, ch := range channels {
		if slices.Contains(victimShards, ann.GuildShards[ann.guildOf(ch)]) {
			slashAnsweredOnce(t, ann.Control, ch)
		}
	}

	// Every feed is polled again after the kill, the dead one's share
	// included, within a poll interval plus the heartbeat timeout.
	var takeover time.Duration
	deadline := killed.Add(30*time.Second + peerTimeout + 15*time.Second)
	for {
		last, err := oldestPoll(dbPath)
		if err == nil && last.After(killed) {
			takeover = last.Sub(killed)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("some feed was not polled since the kill %v ago (oldest poll %v, err %v)", time.Since(killed).Round(time.Second), last, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	stopGrowing()

	// The two left drain the outbox and send the briefings.
	deadline = time.Now().Add(2 * time.Minute)
	for {
		pending, err := soakPending(dbPath)
		if err == nil && pending == 0 && soakBriefed(dbPath, briefed) {
			break
		}
		if time.Now().After(deadline) {
			t.Logf("still pending: %s", describePending(dbPath))
			t.Fatalf("after 2 minutes %d alerts still pending (err %v)", pending, err)
		}
		time.Sleep(time.Second)
	}
	for i, p := range procs {
		p.Process.Signal(syscall.SIGTERM)
		if err := p.Wait(); err != nil {
			t.Errorf("process %d's shutdown: %v", i+1, err)
		}
	}
	if most, seen := shards.stop(); most > 1 {
		t.Errorf("a gateway shard had %d sessions at once (%s); one process at a time must hold it", most, seen)
	}
	a := auditSoak(t, dbPath, ann.Control, channels, briefed, feeds)
	t.Logf("3 processes, one killed: shards held %v (by PID), counted dead after %v, its shards %v open elsewhere %v after the kill, every feed polled again %v after the kill (30s interval); %s",
		holders, failover.Round(100*time.Millisecond), victimShards, shardTakeover.Round(100*time.Millisecond), takeover.Round(time.Second), a)
	if !a.clean() {
		t.Error("faults after the kill")
	}
}

// waitForPeers waits until n processes are alive by their heartbeats.
func waitForPeers(t *testing.T, dbPath string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := countRows(dbPath, `SELECT count(*) FROM peers`)
		if err == nil && got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d processes recorded a heartbeat, want %d (err %v)", got, n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// oldestPoll is the earliest of the feeds' latest polls.
func oldestPoll(dbPath string) (time.Time, error) {
	ms, err := countRows(dbPath, `SELECT min(last_poll_at) FROM feeds`)
	return time.UnixMilli(int64(ms)), err
}

func countRows(dbPath, query string) (int, error) {
	db, err := openAudit(dbPath)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	err = db.QueryRow(query).Scan(&n)
	return n, err
}

// logTails shows the end of each process's log, which t.TempDir removes.
func logTails(t testing.TB, dir string) {
	logs, _ := filepath.Glob(filepath.Join(dir, "vigil-*.log"))
	for _, name := range logs {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		t.Logf("%s, last lines:\n%s", filepath.Base(name), strings.Join(lines[max(0, len(lines)-25):], "\n"))
	}
}

// describePending lists the pending alerts, their channels' holds and the
// leases, for a failure's message.
func describePending(where string) string {
	db, err := openAudit(where)
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, channel_id, is_digest, attempts, next_attempt_at, attempted_at, last_error FROM outbox WHERE state = 'pending'`,
		`SELECT channel_id, kind, until, reason FROM channel_holds`,
		`SELECT name, holder, expires_at FROM leases`,
		`SELECT id, expires_at FROM peers`,
	} {
		rows, err := db.Query(q)
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", q, err)
			continue
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			fmt.Fprintf(&b, "%v %v\n", cols, vals)
		}
		rows.Close()
	}
	return b.String()
}

// shardWatch samples the fake's live sessions per shard until stopped;
// stop returns the most sessions a shard had at once and, if that was
// more than one, when and what was seen.
type shardWatch struct {
	stop func() (most int, seen string)
}

// watchShards records, every 50 ms, the most sessions any of the fake's
// shards had at once.
func watchShards(t *testing.T, control string, nShards int) shardWatch {
	t.Helper()
	done := make(chan struct{})
	type outcome struct {
		most int
		seen string
	}
	result := make(chan outcome, 1)
	go func() {
		var o outcome
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if live, err := fakeShardSessions(control); err == nil {
				for _, n := range live {
					if n > o.most && n > 1 {
						o.seen = fmt.Sprintf("%v at %s", live, time.Now().Format("15:04:05.000"))
					}
					o.most = max(o.most, n)
				}
			}
			select {
			case <-done:
				result <- o
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	w := shardWatch{stop: func() (int, string) {
		once.Do(func() { close(done) })
		o := <-result
		return o.most, o.seen
	}}
	t.Cleanup(func() { once.Do(func() { close(done) }) })
	return w
}

// fakeShardSessions is the fake's count of live sessions per "n/count".
func fakeShardSessions(control string) (map[string]int, error) {
	resp, err := http.Get(control + "/shards")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]int{}
	err = json.NewDecoder(resp.Body).Decode(&out)
	return out, err
}

// waitForShards waits until each of the fake's shards has one live session
// and its lease is held by a process other than notPID, and that process
// is the shard's owner among the peers in the database (so no handover is
// still to come), and returns the PID holding each shard.
func waitForShards(t *testing.T, where, control string, nShards, notPID int) map[int]int {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		live, err := fakeShardSessions(control)
		holders, herr := shardHolders(where)
		ok := err == nil && herr == nil && len(holders) == nShards
		for n := range nShards {
			h := holders[n]
			ok = ok && live[fmt.Sprintf("%d/%d", n, nShards)] == 1 && h.pid != 0 && h.pid != notPID && h.owner
		}
		if ok {
			pids := map[int]int{}
			for n, h := range holders {
				pids[n] = h.pid
			}
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway shards never settled: sessions %v (err %v), lease holders %v (err %v)", live, err, holders, herr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shardHolder is the process holding a shard's lease: the PID in its
// identity (host-pid-random), and whether it is the shard's owner among
// the peers the database lists.
type shardHolder struct {
	pid   int
	owner bool
}

// shardHolders reads who holds each shard lease.
func shardHolders(where string) (map[int]shardHolder, error) {
	db, err := openAudit(where)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var peers []string
	prows, err := db.Query(`SELECT id FROM peers`)
	if err != nil {
		return nil, err
	}
	for prows.Next() {
		var id string
		if err := prows.Scan(&id); err != nil {
			prows.Close()
			return nil, err
		}
		peers = append(peers, id)
	}
	prows.Close()
	if err := prows.Err(); err != nil {
		return nil, err
	}
	rows, err := db.Query(`SELECT name, holder FROM leases WHERE name LIKE 'shard:%'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int]shardHolder{}
	for rows.Next() {
		var name, holder string
		if err := rows.Scan(&name, &holder); err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(strings.TrimPrefix(name, "shard:"))
		if err != nil {
			return nil, fmt.Errorf("lease %q: %w", name, err)
		}
		parts := strings.Split(holder, "-")
		if len(parts) < 3 {
			return nil, fmt.Errorf("lease %q held by %q, not host-pid-random", name, holder)
		}
		pid, err := strconv.Atoi(parts[len(parts)-2])
		if err != nil {
			return nil, fmt.Errorf("lease %q held by %q: %w", name, holder, err)
		}
		out[n] = shardHolder{pid: pid, owner: peer.OwnerAmong(peers, name) == holder}
	}
	return out, rows.Err()
}

// mostShards is the index of the process holding the most shards.
func mostShards(procs []*exec.Cmd, holders map[int]int) int {
	best, bestN := 0, -1
	for i, p := range procs {
		n := 0
		for _, pid := range holders {
			if pid == p.Process.Pid {
				n++
			}
		}
		if n > bestN {
			best, bestN = i, n
		}
	}
	return best
}

// slashAnsweredOnce has an admin run /watch list in a channel and checks
// that the bot answered it, with one callback: the process holding the
// channel's shard, and no other.
func slashAnsweredOnce(t *testing.T, control, channelID string) {
	t.Helper()
	resp, err := http.Post(control+"/slash?channel="+channelID, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var sent struct{ ID string }
	err = json.NewDecoder(resp.Body).Decode(&sent)
	resp.Body.Close()
	if err != nil || sent.ID == "" {
		t.Fatalf("send a slash command in %s: %s %v", channelID, resp.Status, err)
	}
	var a struct {
		Answered  bool
		Callbacks int
		Content   string
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(control + "/interaction?id=" + sent.ID)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&a)
			resp.Body.Close()
		}
		if err == nil && a.Answered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/watch list in channel %s was not answered within 10s (err %v)", channelID, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A second process answering would do so within the same moment.
	time.Sleep(500 * time.Millisecond)
	resp, err = http.Get(control + "/interaction?id=" + sent.ID)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	if a.Callbacks != 1 {
		t.Errorf("/watch list in channel %s got %d answers, want 1", channelID, a.Callbacks)
	}
	if !strings.Contains(a.Content, "soak") {
		t.Errorf("/watch list in channel %s answered %q, which does not list its subscription", channelID, a.Content)
	}
}
