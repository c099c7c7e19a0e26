package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigilbot/vigil/alerts"
	"github.com/vigilbot/vigil/storage"
	"github.com/vigilbot/vigil/storage/storagetest"
)

// BenchmarkScaleOut is issue 16's scale-out benchmark: many feeds on
// loopback, most answering 304, many subscriptions over many guilds, real
// vigil processes on one database against the fake Discord run as a
// process with its real limits. It runs the workload once per b.N; run it
// with -benchtime=1x:
//
//	(. .ci/postgres.sh >/dev/null 2>&1; VIGIL_CI=1 go test ./cmd/vigil -run '^$' -bench ScaleOut -benchtime=1x -timeout 30m)
//
// Sizes come from VIGIL_BENCH_FEEDS (10000), VIGIL_BENCH_SUBS (100000),
// VIGIL_BENCH_INTERVAL (60s, the feeds' poll interval), VIGIL_BENCH_TRICKLE
// and VIGIL_BENCH_BURST (the share of feeds that get a new item, 0.01 and
// 0.03). A tenth of the sizes is enough to develop with. With
// VIGIL_BENCH_PROFILES naming a folder, each process serves its profiles
// (metrics.pprof) and its heap is saved there after the burst, for go tool
// pprof.
func BenchmarkScaleOut(b *testing.B) {
	w := scaleWorkloadFromEnv(b)
	b.Run("postgres-3procs", func(b *testing.B) {
		for range b.N {
			runScaleOut(b, w, storagetest.DSN(b), 3)
		}
	})
	b.Run("sqlite-1proc", func(b *testing.B) {
		for range b.N {
			runScaleOut(b, w, filepath.Join(b.TempDir(), "vigil.db"), 1)
		}
	})
}

// scaleWorkload is the benchmark's size.
type scaleWorkload struct {
	feeds, subs     int
	interval        time.Duration
	trickle, burst  float64
	subsPerChannel  int
	channelsInGuild int
}

func scaleWorkloadFromEnv(b *testing.B) scaleWorkload {
	w := scaleWorkload{feeds: 10000, subs: 100000, interval: time.Minute, trickle: 0.01, burst: 0.03,
		// Under the default caps (25 a channel, 500 a server).
		subsPerChannel: 20, channelsInGuild: 20}
	for name, p := range map[string]*int{"VIGIL_BENCH_FEEDS": &w.feeds, "VIGIL_BENCH_SUBS": &w.subs} {
		if v := os.Getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				b.Fatalf("%s=%q: want a positive whole number", name, v)
			}
			*p = n
		}
	}
	for name, p := range map[string]*float64{"VIGIL_BENCH_TRICKLE": &w.trickle, "VIGIL_BENCH_BURST": &w.burst} {
		if v := os.Getenv(name); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 || f > 1 {
				b.Fatalf("%s=%q: want a share between 0 and 1", name, v)
			}
			*p = f
		}
	}
	if v := os.Getenv("VIGIL_BENCH_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 30*time.Second {
			b.Fatalf("VIGIL_BENCH_INTERVAL=%q: want a duration of at least 30s, polling's least interval", v)
		}
		w.interval = d
	}
	return w
}

func (w scaleWorkload) channels() int {
	return (w.subs + w.subsPerChannel - 1) / w.subsPerChannel
}

func (w scaleWorkload) guilds() int {
	return (w.channels() + w.channelsInGuild - 1) / w.channelsInGuild
}

// products is how many product names the subscriptions watch: about ten
// subscriptions share each, so that a story about one reaches several
// channels, as a story about a popular product does.
func (w scaleWorkload) products() int { return max(1, w.subs/10) }

// runScaleOut runs the workload once on procs processes sharing the
// database where names, and reports its figures.
func runScaleOut(b *testing.B, w scaleWorkload, where string, procs int) {
	b.StopTimer()
	dir := b.TempDir()
	vigilBin, fakeBin := buildSoakBinaries(b, dir)
	ann := startFakeDiscord(b, fakeBin, "-guilds", strconv.Itoa(w.guilds()), "-channels", strconv.Itoa(w.channelsInGuild))
	fake := fakeControl(ann.Control)

	feeds := newScaleFeeds(w.feeds)
	srv := httptest.NewServer(feeds)
	b.Cleanup(srv.Close)

	seeded := time.Now()
	seedScaleSubscriptions(b, w, where, ann)
	b.Logf("seeded %d subscriptions in %d channels of %d guilds in %v", w.subs, w.channels(), w.guilds(), time.Since(seeded).Round(time.Millisecond))
	b.ReportMetric(float64(w.subs)/time.Since(seeded).Seconds(), "subs-seeded/s")

	profiles := os.Getenv("VIGIL_BENCH_PROFILES")
	var ops []string
	if profiles != "" {
		for range procs {
			ops = append(ops, freeLoopbackAddr(b))
		}
	}
	cfgs := writeScaleConfigs(b, dir, w, where, ann, srv.URL, ops, procs)
	b.StartTimer()
	running := make([]*scaleProc, procs)
	for i := range procs {
		running[i] = startScaleProc(b, vigilBin, cfgs[i], ann.Token, filepath.Join(dir, fmt.Sprintf("vigil-%d.log", i)))
	}
	b.Cleanup(func() {
		for _, p := range running {
			p.kill()
		}
		if b.Failed() {
			logTails(b, dir)
		}
	})

	// The first poll of every feed only records what is there.
	started := time.Now()
	waitUntil(b, running, "every feed's first poll", 5*time.Minute, func() bool { return feeds.firstPolled() == w.feeds })
	b.Logf("every feed polled once %v after start", time.Since(started).Round(time.Millisecond))

	// Steady state: one interval of conditional polls, with a trickle of
	// new items spread over it for the latency.
	trickle := feeds.pick(int(float64(w.feeds) * w.trickle))
	steadyFrom, polledFrom := time.Now(), feeds.counts()
	spacing := w.interval / time.Duration(max(1, len(trickle)))
	var tokens []string
	for _, f := range trickle {
		tokens = append(tokens, feeds.add(f, w.products()))
		time.Sleep(spacing)
	}
	steady := time.Since(steadyFrom)
	polled := feeds.counts().minus(polledFrom)
	b.ReportMetric(float64(polled.requests)/steady.Seconds(), "polls/s")
	b.ReportMetric(100*float64(polled.notModified)/float64(max(1, polled.requests)), "%304")
	spread := feeds.pollersSince(steadyFrom)
	perProcess := map[string]int{}
	for agent, fs := range spread {
		perProcess[agent] = len(fs)
	}
	b.Logf("steady state over %v: %d polls, %d answered 304; feeds polled by each process: %v", steady.Round(time.Second), polled.requests, polled.notModified, perProcess)
	if procs > 1 {
		counts := spreadCounts(spread)
		b.ReportMetric(float64(slices.Min(counts)), "feeds-min/proc")
		b.ReportMetric(float64(slices.Max(counts)), "feeds-max/proc")
	}
	waitDelivered(b, running, feeds, fake, tokens, 2*w.interval+time.Minute)
	lat := latencies(feeds, fake.messages(b, ann), tokens)
	b.ReportMetric(percentile(lat, 0.50).Seconds(), "s-latency-p50")
	b.ReportMetric(percentile(lat, 0.99).Seconds(), "s-latency-p99")
	b.Logf("latency from a new item to its message over %d messages: p50 %v, p99 %v, max %v", len(lat),
		percentile(lat, 0.5).Round(time.Millisecond), percentile(lat, 0.99).Round(time.Millisecond), percentile(lat, 1).Round(time.Millisecond))

	// A burst: a few percent of the feeds get a new item at once, each
	// about two products, more messages than Discord takes in an interval.
	before := fake.stats(b)
	burst := feeds.pick(int(float64(w.feeds) * w.burst))
	tokens = tokens[:0]
	for _, f := range burst {
		tokens = append(tokens, feeds.add(f, w.products()))
	}
	samples := sampleStats(b, fake)
	waitDelivered(b, running, feeds, fake, tokens, 3*w.interval+5*time.Minute)
	drain := samples.stop()
	after := fake.stats(b)
	msgs := fake.messages(b, ann)
	first, last := burstWindow(msgs, tokens)
	reqs := drain.between(first, last)
	b.ReportMetric(reqs/last.Sub(first).Seconds(), "req/s-drain")
	b.ReportMetric(float64(after.RateLimited-before.RateLimited), "429s")
	b.Logf("burst of %d items: %d requests to Discord in %v from the first message to the last (%.1f req/s); 429s %d",
		len(burst), int(reqs), last.Sub(first).Round(time.Millisecond), reqs/last.Sub(first).Seconds(), after.RateLimited-before.RateLimited)
	if after.RateLimited > 0 {
		b.Errorf("the fake Discord answered %d requests 429", after.RateLimited)
	}

	var peak float64
	for i, p := range running {
		mb := p.peakRSS(b)
		peak = max(peak, mb)
		b.Logf("process %d: peak RSS %.1f MB", i, mb)
	}
	b.ReportMetric(peak, "MB-peak-rss/proc")
	for i, addr := range ops {
		saveHeapProfile(b, addr, filepath.Join(profiles, fmt.Sprintf("heap-%s-%d.pb.gz", b.Name()[strings.LastIndex(b.Name(), "/")+1:], i)))
	}

	if procs > 1 {
		reportFailover(b, w, feeds, fake, ann, running, spread)
	}
}

// reportFailover kills the first process without warning and measures how
// long until every feed it polled is polled by another, and until a new
// item on one of them arrives at Discord.
func reportFailover(b *testing.B, w scaleWorkload, feeds *scaleFeeds, fake fakeControl, ann fakeAnnouncement, running []*scaleProc, spread map[string][]int) {
	victim := running[0]
	orphans := spread[victim.agent]
	if len(orphans) == 0 {
		b.Fatalf("process 0 polled no feeds in the steady state: %v", spreadCounts(spread))
	}
	killed := time.Now()
	victim.kill()
	token := feeds.add(orphans[0], w.products())
	waitUntil(b, running, "the killed process's feeds polled by another", 2*w.interval+time.Minute, func() bool {
		return feeds.allPolledSince(orphans, killed, victim.agent)
	})
	repolled := time.Since(killed)
	waitDelivered(b, running, feeds, fake, []string{token}, 2*w.interval+time.Minute)
	lat := latencies(feeds, fake.messages(b, ann), []string{token})
	delivered := feeds.addedAt(token).Sub(killed) + percentile(lat, 0)
	b.ReportMetric(repolled.Seconds(), "s-failover-repoll")
	b.ReportMetric(delivered.Seconds(), "s-failover-deliver")
	b.Logf("kill -9 of one process: its %d feeds all polled again %v after, a new item on one of them delivered %v after",
		len(orphans), repolled.Round(time.Millisecond), delivered.Round(time.Millisecond))
}

// seedScaleSubscriptions stores the subscriptions through the storage API,
// as /watch add does, from a few goroutines: PostgreSQL takes them in
// parallel, SQLite one after another.
func seedScaleSubscriptions(b *testing.B, w scaleWorkload, where string, ann fakeAnnouncement) {
	ctx := context.Background()
	open := storage.Open
	if strings.HasPrefix(where, "postgres") {
		open = storage.OpenPostgres
	}
	db, err := open(ctx, where)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	type slot struct{ guild, channel string }
	var slots []slot
	for _, g := range ann.Guilds {
		for _, ch := range g.Channels {
			slots = append(slots, slot{g.ID, ch})
		}
	}
	work := make(chan int)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				s := slots[i/w.subsPerChannel]
				if _, err := db.AddSubscription(ctx, scaleSubscription(i, w, s.guild, s.channel), "bench"); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := range w.subs {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatalf("seed subscriptions: %v", err)
	default:
	}
}

// scaleSubscription is subscription i: a product, alone or with the word a
// security desk would add, and for some a region; a fifth watch Europe,
// where every item is, a tenth Asia, where none is.
func scaleSubscription(i int, w scaleWorkload, guild, channel string) alerts.Subscription {
	r := rand.New(rand.NewPCG(uint64(i), 16))
	s := alerts.Subscription{GuildID: guild, ChannelID: channel, Query: productName(r.IntN(w.products()))}
	switch r.IntN(10) {
	case 0, 1:
		s.Regions = []string{"europe"}
	case 2:
		s.Regions = []string{"asia"}
	case 3:
		s.Query += " OR " + productName(r.IntN(w.products()))
	}
	return s
}

// productSyllables make pronounceable product names: four syllables give
// 20^4 names, none ending in an s a plural rule would strip.
var productSyllables = strings.Fields("ka zo ri ven tal mor qui bex lun dra fe nix gol pra hu tem syl vok an er")

func productName(n int) string {
	var b strings.Builder
	for range 4 {
		b.WriteString(productSyllables[n%len(productSyllables)])
		n /= len(productSyllables)
	}
	return b.String()
}

// freeLoopbackAddr is a loopback address no one listens on now, for a
// process to serve its profiles on.
func freeLoopbackAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// saveHeapProfile writes a process's heap profile to path.
func saveHeapProfile(b *testing.B, addr, path string) {
	resp, err := http.Get("http://" + addr + "/debug/pprof/heap")
	if err != nil {
		b.Errorf("heap profile of %s: %v", addr, err)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Errorf("heap profile of %s: %s %v", addr, resp.Status, err)
		return
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		b.Error(err)
		return
	}
	b.Logf("heap profile: %s", path)
}

// writeScaleConfigs writes one config a process, the same but for the
// User-Agent, by which the feed server tells who polled, and the address
// in ops, when given, that it serves its metrics and profiles on.
func writeScaleConfigs(b *testing.B, dir string, w scaleWorkload, where string, ann fakeAnnouncement, feedBase string, ops []string, procs int) []string {
	storageConfig := fmt.Sprintf("path = %q", where)
	if strings.HasPrefix(where, "postgres") {
		storageConfig = fmt.Sprintf("driver = \"postgres\"\ndsn = %q", where)
	}
	var feedConfig strings.Builder
	for i := range w.feeds {
		fmt.Fprintf(&feedConfig, "[[feeds]]\nurl = \"%s/f/%d\"\n", feedBase, i)
	}
	var paths []string
	for i := range procs {
		metricsConfig := `address = ""`
		if i < len(ops) {
			metricsConfig = fmt.Sprintf("address = %q\npprof = true", ops[i])
		}
		cfg := fmt.Sprintf(`[discord]
guild_id = %q
api_base = %q
[storage]
%s
[http]
allow_private_addresses = true
user_agent = "vigil-bench/%d"
[polling]
default_interval = %q
jitter = %q
[metrics]
%s
[log]
level = "warn"
[limits]
channel_alerts_per_hour = 3600
%s`, ann.GuildID, ann.APIBase, storageConfig, i, w.interval, w.interval, metricsConfig, feedConfig.String())
		path := filepath.Join(dir, fmt.Sprintf("vigil-%d.toml", i))
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// scaleProc is one vigil run process.
type scaleProc struct {
	cmd    *exec.Cmd
	agent  string
	done   chan struct{} // closed when the process has exited
	err    error         // how it exited, once done
	killed atomic.Bool   // the benchmark ended it on purpose
}

// kill ends the process without warning and waits for it.
func (p *scaleProc) kill() {
	p.killed.Store(true)
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// check fails the benchmark when the process ended on its own.
func (p *scaleProc) check(b *testing.B) {
	select {
	case <-p.done:
		if !p.killed.Load() {
			b.Fatalf("%s exited during the benchmark: %v (its log is below)", p.agent, p.err)
		}
	default:
	}
}

func startScaleProc(b *testing.B, bin, cfgPath, token, logPath string) *scaleProc {
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "VIGIL_DISCORD_TOKEN="+token)
	logf, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { logf.Close() })
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	n := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(cfgPath), "vigil-"), ".toml")
	p := &scaleProc{cmd: cmd, agent: "vigil-bench/" + n, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p
}

// peakRSS is the process's peak resident set in MB, from the kernel.
func (p *scaleProc) peakRSS(b *testing.B) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		b.Fatalf("read the memory of process %d: %v", p.cmd.Process.Pid, err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				b.Fatalf("VmHWM of process %d: %q", p.cmd.Process.Pid, line)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatalf("no VmHWM in /proc/%d/status", p.cmd.Process.Pid)
	return 0
}

// scaleFeeds serves w.feeds RSS feeds at /f/<n>, answering 304 to a
// conditional request for what the client has, and counts.
type scaleFeeds struct {
	mu       sync.Mutex
	feeds    []scaleFeed
	added    map[string]time.Time // token → when its item appeared
	fetchedT map[string]bool      // tokens a poll has taken away
	requests atomic.Int64
	notMod   atomic.Int64
	polled   atomic.Int64 // feeds polled at least once
	rng      *rand.Rand
}

type scaleFeed struct {
	items    []string
	unread   []string // tokens not yet fetched
	etag     string
	polledAt time.Time
	polledBy string
}

func newScaleFeeds(n int) *scaleFeeds {
	f := &scaleFeeds{feeds: make([]scaleFeed, n), added: map[string]time.Time{}, fetchedT: map[string]bool{}, rng: rand.New(rand.NewPCG(1, 2))}
	for i := range f.feeds {
		f.feeds[i].items = []string{fmt.Sprintf("Wire %d opens with %s news", i, scaleRandomWords(f.rng, 3))}
		f.feeds[i].etag = etagOf(f.feeds[i].items)
	}
	return f
}

func etagOf(items []string) string {
	h := sha256.Sum256([]byte(strings.Join(items, "\n")))
	return `"` + hex.EncodeToString(h[:8]) + `"`
}

// add puts a new item on feed n about two products and returns its token.
func (f *scaleFeeds) add(n, products int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	token := fmt.Sprintf("tok%dx%d", n, len(f.feeds[n].items))
	// Mostly made-up words, so that no two items are reports of one
	// event to the clusterer, which would fold them into one alert a
	// channel: the drain is to be measured on distinct alerts.
	title := fmt.Sprintf("%s and %s flaw exploited in Germany, ref %s %s",
		productName(f.rng.IntN(products)), productName(f.rng.IntN(products)), token, scaleRandomWords(f.rng, 10))
	f.feeds[n].items = append(f.feeds[n].items, title)
	f.feeds[n].unread = append(f.feeds[n].unread, token)
	f.feeds[n].etag = etagOf(f.feeds[n].items)
	f.added[token] = time.Now()
	return token
}

func (f *scaleFeeds) addedAt(token string) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.added[token]
}

// pick chooses n distinct feeds.
func (f *scaleFeeds) pick(n int) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rng.Perm(len(f.feeds))[:min(n, len(f.feeds))]
}

func (f *scaleFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/f/"))
	if err != nil || n < 0 || n >= len(f.feeds) {
		http.NotFound(w, r)
		return
	}
	f.requests.Add(1)
	f.mu.Lock()
	feed := &f.feeds[n]
	if feed.polledAt.IsZero() {
		f.polled.Add(1)
	}
	feed.polledAt, feed.polledBy = time.Now(), r.UserAgent()
	etag := feed.etag
	items := append([]string(nil), feed.items...)
	notModified := r.Header.Get("If-None-Match") == etag
	if !notModified {
		for _, t := range feed.unread {
			f.fetchedT[t] = true
		}
		feed.unread = nil
	}
	f.mu.Unlock()
	w.Header().Set("ETag", etag)
	if notModified {
		f.notMod.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml")
	fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire %d</title><link>https://wire.example/%d</link>`, n, n)
	for i := len(items) - 1; i >= 0; i-- {
		fmt.Fprintf(w, `<item><guid isPermaLink="false">wire-%d-%d</guid><title>%s</title><link>https://wire.example/%d/%d</link><description>%s.</description></item>`,
			n, i, items[i], n, i, items[i])
	}
	fmt.Fprint(w, `</channel></rss>`)
}

// fetched reports whether every token's item has been fetched.
func (f *scaleFeeds) fetched(tokens []string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range tokens {
		if !f.fetchedT[t] {
			return false
		}
	}
	return true
}

func (f *scaleFeeds) firstPolled() int { return int(f.polled.Load()) }

type pollCounts struct{ requests, notModified int64 }

func (c pollCounts) minus(o pollCounts) pollCounts {
	return pollCounts{c.requests - o.requests, c.notModified - o.notModified}
}

func (f *scaleFeeds) counts() pollCounts { return pollCounts{f.requests.Load(), f.notMod.Load()} }

// pollersSince lists, by User-Agent, the feeds whose latest poll since
// from was that process's.
func (f *scaleFeeds) pollersSince(from time.Time) map[string][]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]int{}
	for i, feed := range f.feeds {
		if feed.polledAt.After(from) {
			out[feed.polledBy] = append(out[feed.polledBy], i)
		}
	}
	return out
}

// allPolledSince reports whether every feed of ns was polled after t by a
// process other than gone.
func (f *scaleFeeds) allPolledSince(ns []int, t time.Time, gone string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range ns {
		if !f.feeds[n].polledAt.After(t) || f.feeds[n].polledBy == gone {
			return false
		}
	}
	return true
}

func spreadCounts(spread map[string][]int) []int {
	var out []int
	for _, feeds := range spread {
		out = append(out, len(feeds))
	}
	if len(out) == 0 {
		return []int{0}
	}
	return out
}

func scaleRandomWords(r *rand.Rand, n int) string {
	words := make([]string, n)
	for i := range words {
		w := make([]byte, 7)
		for j := range w {
			w[j] = byte('a' + r.IntN(26))
		}
		words[i] = string(w)
	}
	return strings.Join(words, " ")
}

// fakeControl is the fake Discord's control server.
type fakeControl string

type fakeStats struct {
	Requests    int `json:"requests"`
	RateLimited int `json:"rate_limited"`
}

type fakeMessage struct {
	Text string    `json:"text"`
	Time time.Time `json:"time"`
}

func (c fakeControl) get(b *testing.B, path string, v any) {
	resp, err := http.Get(string(c) + path)
	if err != nil {
		b.Fatalf("ask the fake Discord for %s: %v", path, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		b.Fatalf("the fake Discord's answer to %s: %v", path, err)
	}
}

func (c fakeControl) stats(b *testing.B) fakeStats {
	var s fakeStats
	c.get(b, "/stats", &s)
	return s
}

// messages is every message the fake holds, from every channel.
func (c fakeControl) messages(b *testing.B, ann fakeAnnouncement) []fakeMessage {
	var all []fakeMessage
	for _, g := range ann.Guilds {
		for _, ch := range g.Channels {
			var ms []fakeMessage
			c.get(b, "/messages?channel="+ch, &ms)
			all = append(all, ms...)
		}
	}
	return all
}

// waitDelivered waits until every token's item has been fetched and then
// no alert is left to send: the fake's request count stops moving.
func waitDelivered(b *testing.B, procs []*scaleProc, feeds *scaleFeeds, c fakeControl, tokens []string, within time.Duration) {
	deadline := time.Now().Add(within)
	last, quiet := -1, 0
	for time.Now().Before(deadline) {
		time.Sleep(time.Second)
		for _, p := range procs {
			p.check(b)
		}
		if !feeds.fetched(tokens) {
			continue
		}
		s := c.stats(b)
		if s.Requests == last {
			quiet++
		} else {
			last, quiet = s.Requests, 0
		}
		// Ten quiet seconds: deliveries come at 50 a second when there
		// are any, so a pause that long means the queue is empty.
		if quiet >= 10 {
			return
		}
	}
	b.Fatalf("deliveries of %d new items still going after %v", len(tokens), within)
}

// latencies are, for each message carrying a token, the time from its
// item's appearance on the feed server to the message's arrival.
func latencies(feeds *scaleFeeds, msgs []fakeMessage, tokens []string) []time.Duration {
	want := map[string]bool{}
	for _, t := range tokens {
		want[t] = true
	}
	var out []time.Duration
	for _, m := range msgs {
		for _, word := range strings.Fields(m.Text) {
			if want[word] {
				out = append(out, m.Time.Sub(feeds.addedAt(word)))
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// percentile is the q-quantile of sorted ds (q 0 the least, 1 the most).
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

// burstWindow is when the first and last messages of the tokens' items
// arrived.
func burstWindow(msgs []fakeMessage, tokens []string) (first, last time.Time) {
	want := map[string]bool{}
	for _, t := range tokens {
		want[t] = true
	}
	for _, m := range msgs {
		for _, word := range strings.Fields(m.Text) {
			if want[word] {
				if first.IsZero() || m.Time.Before(first) {
					first = m.Time
				}
				if m.Time.After(last) {
					last = m.Time
				}
				break
			}
		}
	}
	return first, last
}

// statSamples is the fake's request count sampled every 100 ms.
type statSamples struct {
	mu    sync.Mutex
	at    []time.Time
	count []int
	done  chan struct{}
	wg    sync.WaitGroup
}

func sampleStats(b *testing.B, c fakeControl) *statSamples {
	s := &statSamples{done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case now := <-t.C:
				resp, err := http.Get(string(c) + "/stats")
				if err != nil {
					continue
				}
				var st fakeStats
				err = json.NewDecoder(resp.Body).Decode(&st)
				resp.Body.Close()
				if err == nil {
					s.mu.Lock()
					s.at, s.count = append(s.at, now), append(s.count, st.Requests)
					s.mu.Unlock()
				}
			}
		}
	}()
	return s
}

func (s *statSamples) stop() *statSamples {
	close(s.done)
	s.wg.Wait()
	return s
}

// between is how many requests the fake received from about from to to.
func (s *statSamples) between(from, to time.Time) float64 {
	at := func(t time.Time) int {
		i, _ := slices.BinarySearchFunc(s.at, t, func(a, t time.Time) int { return a.Compare(t) })
		return s.count[min(i, len(s.count)-1)]
	}
	if len(s.at) == 0 {
		return 0
	}
	return float64(at(to) - at(from))
}

// waitUntil polls cond every 200 ms until it holds or within passes.
func waitUntil(b *testing.B, procs []*scaleProc, what string, within time.Duration, cond func() bool) {
	deadline := time.Now().Add(within)
	for !cond() {
		for _, p := range procs {
			p.check(b)
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: not after %v", what, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
