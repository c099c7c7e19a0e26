package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/storage"
)

// TestCrashSoak runs the real vigil binary against the fake Discord run as a
// process of its own (cmd/fakediscord), kills it with SIGKILL at random
// moments while feeds grow and briefings fall due, and then checks, from
// the database and from what the fake holds, that every alert arrived once
// and in order and every briefing once and whole. It takes minutes:
//
//	VIGIL_SOAK=1 go test ./cmd/vigil -run TestCrashSoak -v -timeout 30m
//
// VIGIL_SOAK_RESTARTS sets the number of kills (default 50).
func TestCrashSoak(t *testing.T) {
	if os.Getenv("VIGIL_SOAK") == "" {
		t.Skip("the crash soak takes minutes; run it with VIGIL_SOAK=1")
	}
	restarts := 50
	if n, err := strconv.Atoi(os.Getenv("VIGIL_SOAK_RESTARTS")); err == nil && n > 0 {
		restarts = n
	}
	dir := t.TempDir()
	vigilBin, fakeBin := buildSoakBinaries(t, dir)
	// The fake Discord, accepting 5% of posts without answering them.
	ann := startFakeDiscord(t, fakeBin, "-channels", "4", "-accept-then-drop", "0.05")
	channels := ann.Channels

	feeds := newSoakFeeds(2)
	srv := httptest.NewServer(feeds)
	t.Cleanup(srv.Close)

	dbPath := filepath.Join(dir, "vigil.db")
	db, err := storage.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ch := range channels {
		if _, err := db.AddSubscription(ctx, alerts.Subscription{GuildID: ann.GuildID, ChannelID: ch, Query: "soak"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Two briefings fall due during the soak.
	now := time.Now().UTC()
	briefed := channels[:2]
	for i, ch := range briefed {
		at := now.Add(time.Duration(i+2) * time.Minute)
		if err := db.SetBriefing(ctx, alerts.BriefingSetting{GuildID: ann.GuildID, ChannelID: ch, At: at.Format("15:04"), Timezone: "UTC"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	var feedConfig strings.Builder
	for i := range feeds.n {
		fmt.Fprintf(&feedConfig, "[[feeds]]\nurl = %q\n", fmt.Sprintf("%s/feed%d.xml", srv.URL, i))
	}
	cfgPath := filepath.Join(dir, "vigil.toml")
	cfg := fmt.Sprintf(`[discord]
guild_id = %q
api_base = %q
[storage]
path = %q
[http]
allow_private_addresses = true
[polling]
default_interval = "30s"
jitter = "0s"
[metrics]
address = ""
%s`, ann.GuildID, ann.APIBase, dbPath, feedConfig.String())
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(vigilBin, "run", "--config", cfgPath)
		cmd.Env = append(os.Environ(), "VIGIL_DISCORD_TOKEN="+ann.Token)
		logf, _ := os.OpenFile(filepath.Join(dir, "vigil.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}

	stopGrowing := feeds.grow(500 * time.Millisecond)
	soakUntil := now.Add(4 * time.Minute)
	kills := 0
	for kills < restarts || time.Now().Before(soakUntil) {
		cmd := start()
		time.Sleep(time.Duration(200+rand.IntN(2800)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		kills++
	}
	stopGrowing()

	// A last run drains the outbox and sends what is due, then stops.
	final := start()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		time.Sleep(2 * time.Second)
		pending, err := soakPending(dbPath)
		if err == nil && pending == 0 && soakBriefed(dbPath, briefed) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("after 3 minutes %d alerts still pending (err %v)", pending, err)
			break
		}
	}
	final.Process.Signal(syscall.SIGTERM)
	if err := final.Wait(); err != nil {
		t.Errorf("the final run's shutdown: %v", err)
	}

	a := auditSoak(t, dbPath, ann.Control, channels, briefed, feeds)
	t.Logf("crash soak: %d kill -9 restarts; %s", kills, a)
	if !a.clean() {
		t.Errorf("the soak found faults (log: %s)", filepath.Join(dir, "vigil.log"))
	}
}

// buildSoakBinaries builds vigil and the fake Discord into dir.
func buildSoakBinaries(t testing.TB, dir string) (vigilBin, fakeBin string) {
	t.Helper()
	vigilBin, fakeBin = filepath.Join(dir, "vigil"), filepath.Join(dir, "fakediscord")
	for bin, pkg := range map[string]string{vigilBin: ".", fakeBin: "../fakediscord"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, out)
		}
	}
	return vigilBin, fakeBin
}

// fakeAnnouncement is what cmd/fakediscord prints when it is ready.
type fakeAnnouncement struct {
	APIBase  string   `json:"api_base"`
	Token    string   `json:"token"`
	GuildID  string   `json:"guild_id"`
	Control  string   `json:"control"`
	Channels []string `json:"channels"`
	Guilds   []struct {
		ID       string   `json:"id"`
		Channels []string `json:"channels"`
	} `json:"guilds"`
	// ChannelGuilds and GuildShards place the channels when the fake has
	// several guilds (-guilds).
	ChannelGuilds map[string]string `json:"channel_guilds"`
	GuildShards   map[string]int    `json:"guild_shards"`
}

// guildOf is the guild a channel of the fake is in.
func (a fakeAnnouncement) guildOf(channelID string) string {
	if g, ok := a.ChannelGuilds[channelID]; ok {
		return g
	}
	return a.GuildID
}

// startFakeDiscord runs the fake Discord as a process of its own until the
// test ends.
func startFakeDiscord(t testing.TB, bin string, args ...string) fakeAnnouncement {
	t.Helper()
	fake := exec.Command(bin, args...)
	stdout, _ := fake.StdoutPipe()
	fake.Stderr = os.Stderr
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Process.Signal(syscall.SIGTERM); fake.Wait() })
	var ann fakeAnnouncement
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil || json.Unmarshal(line, &ann) != nil || ann.Control == "" {
		t.Fatalf("fakediscord did not announce itself: %v %q", err, line)
	}
	return ann
}

// soakAudit is what a soak left behind, checked against what the fake
// Discord holds.
type soakAudit struct {
	expected, lost, doubled, outOfOrder, unstored                     int
	briefingChannels, briefingParts, briefingDoubled, briefingMissing int
}

func (a soakAudit) String() string {
	return fmt.Sprintf("%d alerts expected, %d lost, %d doubled, %d out of order; %d served items not stored; briefings: %d parts in %d channels, %d doubled, %d missing",
		a.expected, a.lost, a.doubled, a.outOfOrder, a.unstored, a.briefingParts, a.briefingChannels, a.briefingDoubled, a.briefingMissing)
}

func (a soakAudit) clean() bool {
	return a.lost+a.doubled+a.outOfOrder+a.unstored+a.briefingDoubled+a.briefingMissing == 0 && a.expected > 0
}

// auditSoak compares the database's outbox with what the fake holds:
// every alert arrived once and in order, every item the feeds served
// after their first poll is stored, every briefing arrived once and whole.
func auditSoak(t *testing.T, dbPath, control string, channels, briefed []string, feeds *soakFeeds) soakAudit {
	t.Helper()
	sdb, err := openAudit(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var expected, lost, doubled, outOfOrder, unstored int
	for _, ch := range channels {
		refs, err := soakOutbox(sdb, dbPath, ch)
		if err != nil {
			t.Fatal(err)
		}
		msgs := soakMessages(t, control, ch)
		seen := map[string]int{}
		var order []int
		for _, m := range msgs {
			// Alerts' nonces start with v, briefings' with b.
			if i := strings.LastIndex(m.Footer, "ref "); i >= 0 && strings.HasPrefix(m.Nonce, "v") {
				ref := m.Footer[i:]
				if _, ok := refs.index[ref]; !ok {
					t.Errorf("channel %s holds an alert the outbox does not know: %q", ch, m.Title)
					continue
				}
				seen[ref]++
				if seen[ref] == 1 {
					order = append(order, refs.index[ref])
				}
			}
		}
		expected += len(refs.order)
		for _, ref := range refs.order {
			switch n := seen[ref]; {
			case n == 0:
				lost++
			case n > 1:
				doubled += n - 1
			}
		}
		for i := 1; i < len(order); i++ {
			if order[i] < order[i-1] {
				outOfOrder++
			}
		}
	}
	// Every item the feeds served after their first poll is stored.
	for _, title := range feeds.servedAfterFirst() {
		var n int
		if err := sdb.QueryRow(auditSQL(dbPath, `SELECT count(*) FROM stories WHERE title = ?`), title).Scan(&n); err != nil || n == 0 {
			unstored++
		}
	}
	briefingParts, briefingDoubled, briefingMissing := 0, 0, 0
	for _, ch := range briefed {
		parts := map[string]int{}
		total := 0
		for _, m := range soakMessages(t, control, ch) {
			if !strings.HasPrefix(m.Nonce, "b") {
				continue
			}
			parts[m.Footer]++
			total = max(total, 1)
			if _, after, ok := strings.Cut(m.Footer, " of "); ok {
				n, _ := strconv.Atoi(strings.Fields(after)[0])
				total = max(total, n)
			}
		}
		for _, n := range parts {
			briefingParts++
			briefingDoubled += n - 1
		}
		if len(parts) != total || total == 0 {
			briefingMissing += max(total-len(parts), 1)
		}
	}
	return soakAudit{expected: expected, lost: lost, doubled: doubled, outOfOrder: outOfOrder, unstored: unstored,
		briefingChannels: len(briefed), briefingParts: briefingParts, briefingDoubled: briefingDoubled, briefingMissing: briefingMissing}
}

// soakFeeds serves n RSS feeds that each gain an item every tick, and
// records what each served on its first request.
type soakFeeds struct {
	n      int
	mu     sync.Mutex
	items  [][]string // per feed, oldest first
	first  []int      // items in each feed's first answer; -1 before it
	served []int      // items in each feed's latest answer
}

var soakWords = strings.Fields("convoy radar frigate drone border militia ceasefire embassy cable pipeline airstrike sanctions harbour summit brigade patrol refinery satellite outage ransomware election protest corridor reactor")

func newSoakFeeds(n int) *soakFeeds {
	f := &soakFeeds{n: n, items: make([][]string, n), first: make([]int, n), served: make([]int, n)}
	for i := range n {
		f.first[i] = -1
		f.add(i)
	}
	return f
}

func (f *soakFeeds) add(feed int) {
	// One real word and made-up ones, so that no two items are reports of
	// one event to the clusterer.
	words := []string{soakWords[rand.IntN(len(soakWords))]}
	for range 8 {
		w := make([]byte, 7)
		for i := range w {
			w[i] = byte('a' + rand.IntN(26))
		}
		words = append(words, string(w))
	}
	f.items[feed] = append(f.items[feed], fmt.Sprintf("Soak %d-%d %s", feed, len(f.items[feed]), strings.Join(words, " ")))
}

func (f *soakFeeds) grow(every time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f.mu.Lock()
				for i := range f.n {
					if f.first[i] >= 0 {
						f.add(i)
					}
				}
				f.mu.Unlock()
			}
		}
	}()
	return func() { close(done) }
}

func (f *soakFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var feed int
	if _, err := fmt.Sscanf(r.URL.Path, "/feed%d.xml", &feed); err != nil || feed >= f.n {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	items := append([]string(nil), f.items[feed]...)
	if f.first[feed] < 0 {
		f.first[feed] = len(items)
	}
	f.served[feed] = len(items)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Soak wire %d</title><link>https://soak.example/</link>`, feed)
	// Newest first, as feeds list them; a feed keeps its last 200.
	for i := len(items) - 1; i >= max(0, len(items)-200); i-- {
		fmt.Fprintf(w, `<item><guid isPermaLink="false">soak-%d-%d</guid><title>%s</title><link>https://soak.example/%d/%d</link><description>%s.</description></item>`,
			feed, i, items[i], feed, i, items[i])
	}
	fmt.Fprint(w, `</channel></rss>`)
}

func (f *soakFeeds) servedAfterFirst() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for i := range f.n {
		if f.first[i] >= 0 {
			// Items added after the last poll were never served.
			out = append(out, f.items[i][f.first[i]:f.served[i]]...)
		}
	}
	return out
}

// soakRefs are a channel's sent alerts by footer reference, in outbox order.
type soakRefs struct {
	order []string
	index map[string]int
}

func soakOutbox(db *sql.DB, where, channelID string) (soakRefs, error) {
	refs := soakRefs{index: map[string]int{}}
	rows, err := db.Query(auditSQL(where, `SELECT nonce FROM outbox WHERE channel_id = ? AND state != 'dropped' ORDER BY id`), channelID)
	if err != nil {
		return refs, err
	}
	defer rows.Close()
	for rows.Next() {
		var nonce string
		if err := rows.Scan(&nonce); err != nil {
			return refs, err
		}
		ref := strings.TrimPrefix(nonce, "v")
		ref = "ref " + ref[:min(len(ref), 10)]
		refs.index[ref] = len(refs.order)
		refs.order = append(refs.order, ref)
	}
	return refs, rows.Err()
}

func soakPending(dbPath string) (int, error) {
	db, err := openAudit(dbPath)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	err = db.QueryRow(`SELECT count(*) FROM outbox WHERE state = 'pending'`).Scan(&n)
	return n, err
}

// soakBriefed reports whether every channel's briefing of today was handled.
func soakBriefed(dbPath string, channels []string) bool {
	db, err := openAudit(dbPath)
	if err != nil {
		return false
	}
	defer db.Close()
	today := time.Now().UTC().Format("2006-01-02")
	for _, ch := range channels {
		var period string
		if db.QueryRow(auditSQL(dbPath, `SELECT last_period FROM briefings WHERE channel_id = ?`), ch).Scan(&period) != nil || period != today {
			return false
		}
	}
	return true
}

type soakMessage struct {
	ID, Nonce, Title, Footer, Text string
}

func soakMessages(t *testing.T, control, channelID string) []soakMessage {
	t.Helper()
	resp, err := http.Get(control + "/messages?channel=" + channelID)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []soakMessage
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// openAudit opens, to read what a run left, the database where names: a
// SQLite file, or a PostgreSQL connection string.
func openAudit(where string) (*sql.DB, error) {
	if strings.HasPrefix(where, "postgres") {
		return sql.Open("pgx", where)
	}
	return sql.Open("sqlite", "file:"+where+"?mode=ro")
}

// auditSQL writes a query's one parameter as the engine where names wants.
func auditSQL(where, query string) string {
	if strings.HasPrefix(where, "postgres") {
		return strings.Replace(query, "?", "$1", 1)
	}
	return query
}
