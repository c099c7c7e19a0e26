package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/storage"
	"github.com/vigilbot/vigil/storage/storagetest"
)

// TestThreeProcessesShareOneDatabaseAndSurviveAKill runs three real vigil
// processes on one database against the fake Discord run as a process of
// its own, with feeds that keep growing, and kills one of them with
// SIGKILL while it is polling and sending. The other two must take over
// its feeds within the heartbeat timeout, and in the end every alert must
// have arrived once and in order, and every briefing once and whole.
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
	ann := startFakeDiscord(t, fakeBin, "-channels", "3")
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
		if _, err := db.AddSubscription(ctx, alerts.Subscription{GuildID: ann.GuildID, ChannelID: ch, Query: "soak"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Two briefings fall due while the three run, at the next minute.
	briefed := channels[:2]
	due := time.Now().UTC().Add(time.Minute)
	for _, ch := range briefed {
		if err := db.SetBriefing(ctx, alerts.BriefingSetting{GuildID: ann.GuildID, ChannelID: ch, At: due.Format("15:04"), Timezone: "UTC"}, ""); err != nil {
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
	cfg := fmt.Sprintf(`[discord]
guild_id = %q
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
%s`, ann.GuildID, ann.APIBase, storageConfig, peerTimeout, feedConfig.String())
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

	// All three poll their share and send; then one dies mid-flight.
	waitForPeers(t, dbPath, 3)
	time.Sleep(6 * time.Second)
	killed := time.Now()
	procs[0].Process.Signal(syscall.SIGKILL)
	procs[0].Wait()
	procs = procs[1:]
	waitForPeers(t, dbPath, 2)
	failover := time.Since(killed)
	if failover > peerTimeout+2*time.Second {
		t.Errorf("the killed process was counted dead %v after the kill; want within the %v timeout and a heartbeat", failover.Round(100*time.Millisecond), peerTimeout)
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
	a := auditSoak(t, dbPath, ann.Control, channels, briefed, feeds)
	t.Logf("3 processes, one killed: counted dead after %v, every feed polled again %v after the kill (30s interval); %s",
		failover.Round(100*time.Millisecond), takeover.Round(time.Second), a)
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
