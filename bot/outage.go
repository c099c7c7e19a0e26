package bot

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
)

// Probing Discord during an outage.
const (
	// probeBase and probeMax space the requests that ask whether Discord
	// answers again: often enough that a queue drains within seconds of
	// Discord's return, one cheap request at a time.
	probeBase = 500 * time.Millisecond
	probeMax  = 2 * time.Second
	// probeTimeout bounds one probe. GET /gateway answers in milliseconds
	// when Discord is up; a probe sent just before Discord came back hangs
	// on a dead connection until this cuts it, and the next probe waits
	// probeMax more, so the two together are how late a recovery can be
	// seen.
	probeTimeout = 2 * time.Second
)

// outage is Discord's state as delivery sees it. The back-off of an outage
// belongs here, to Discord, not to each channel or alert: while Discord does
// not answer, nothing is sent and one probe at a time asks whether it is
// back; once it answers, every channel's queue is due at once and drains at
// the rate limits' pace, oldest first.
type outage struct {
	mu     sync.Mutex
	down   bool
	since  time.Time
	probes int // probes that failed in this outage
	next   time.Time
	cause  string
}

// fail records a send that Discord did not answer, or answered with a 5xx.
func (o *outage) fail(now time.Time, cause error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cause = cause.Error()
	if o.down {
		return
	}
	o.down, o.since, o.probes, o.next = true, now, 0, now.Add(probeBase)
}

func (o *outage) isDown() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.down
}

// probeDue reports whether an outage is on and its next probe is due.
func (o *outage) probeDue(now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.down && !now.Before(o.next)
}

// probeFailed backs the next probe off.
func (o *outage) probeFailed(now time.Time, cause error) (failed int, since time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.probes++
	o.cause = cause.Error()
	o.next = now.Add(min(probeBase<<min(o.probes, 10), probeMax))
	return o.probes, o.since
}

// probeNow brings the next probe forward: the gateway reconnected.
func (o *outage) probeNow() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.next = time.Time{}
}

// end closes the outage; real reports whether a probe had failed, that is
// whether Discord as a whole was down rather than one send unlucky.
func (o *outage) end() (since time.Time, real bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	since, real = o.since, o.probes > 0
	o.down, o.probes = false, 0
	return since, real
}

// state is the outage for /healthz: whether sends are held, since when and
// why.
func (o *outage) state() (down bool, since time.Time, cause string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.down, o.since, o.cause
}

// probe asks Discord whether it answers again, with the cheapest request
// there is: GET /gateway needs no token and counts against no route of the
// bot's. It goes straight to the HTTP client, not through discordgo, whose
// per-route lock its own reconnect loop may be holding.
func (b *Bot) probe(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	err := b.ping(pctx)
	cancel()
	if ctx.Err() != nil {
		return
	}
	now := time.Now() // an outage is Discord's, on the wall clock
	if err != nil {
		n, since := b.outage.probeFailed(now, err)
		if n == 1 || n%30 == 0 {
			b.log.Warn("Discord is not answering; alerts stay queued and go out as soon as it does",
				"down_for", now.Sub(since).Round(time.Second), "err", err)
		}
		return
	}
	since, real := b.outage.end()
	if !real {
		return // one send failed, Discord answers: that channel's own back-off stands
	}
	released, err := b.cfg.Store.ReleaseHolds(context.WithoutCancel(ctx), alerts.HoldRetry)
	if err != nil {
		b.log.Error("release channels after Discord's outage", "err", err)
	}
	b.log.Info("Discord answers again; sending the queued alerts now, at the rate limits' pace",
		"was_down_for", now.Sub(since).Round(time.Second), "channels_released", released)
	b.Wake()
}

// ping is one GET /gateway; any answer but a 5xx means Discord is up.
func (b *Bot) ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, discordgo.EndpointGateway, nil)
	if err != nil {
		return err
	}
	resp, err := b.session.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("GET /gateway: %s", resp.Status)
	}
	return nil
}
