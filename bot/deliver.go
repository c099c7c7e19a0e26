package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
)

// deliveryStore is the outbox as the delivery worker sees it.
type deliveryStore interface {
	DueChannels(ctx context.Context, now time.Time, limit int) ([]string, error)
	ChannelQueue(ctx context.Context, channelID string, now time.Time, limit int) ([]alerts.Delivery, error)
	DigestContents(ctx context.Context, id int64, sample int) (int, []alerts.Story, error)
	MarkAttempted(ctx context.Context, id int64, at time.Time) error
	ClearAttempted(ctx context.Context, id int64) error
	MarkDelivered(ctx context.Context, id int64, messageID string, at time.Time) error
	RefuseDelivery(ctx context.Context, id int64, cause error, at time.Time) error
	Refusals(ctx context.Context, channelID string, since time.Time) (int, string, error)
	HoldChannel(ctx context.Context, h alerts.ChannelHold) (alerts.ChannelHold, error)
	ChannelHold(ctx context.Context, channelID string) (alerts.ChannelHold, bool, error)
	ReleaseChannel(ctx context.Context, channelID string) (bool, error)
	ReleaseHolds(ctx context.Context, kind string) (int, error)
	DropChannelDeliveries(ctx context.Context, channelID string, cause error) (int, error)
	SetChannelPaused(ctx context.Context, channelID string, paused bool) error
	PauseChannel(ctx context.Context, channelID string) ([]string, error)
	RemoveGuild(ctx context.Context, guildID string, cause error) (int, error)
	PendingEdits(ctx context.Context, limit int) ([]alerts.Delivery, error)
	MarkEdited(ctx context.Context, id int64) error
}

// Delivery tuning.
const (
	// pollOutboxEvery is how often the worker looks for due deliveries when
	// nobody woke it.
	pollOutboxEvery = time.Second
	// dueChannelsBatch bounds the channels read from the outbox at once.
	dueChannelsBatch = 500
	// channelBatch is how many of one channel's alerts its sender reads at
	// a time; it reads again until the channel's queue is empty.
	channelBatch = 20
	// maxChannelWorkers bounds channels sent to at once; each channel has
	// one sender, which sends its alerts in order, one at a time.
	maxChannelWorkers = 64
	// retryBase and retryMax shape a channel's back-off after sends whose
	// outcome was unknown (5xx, timeouts). The back-off is the channel's,
	// so when Discord recovers a channel's whole queue drains at once.
	retryBase = 2 * time.Second
	retryMax  = time.Minute
	// forbiddenRetry is when a channel that forbids the bot is probed
	// again, with one request: the admin may have fixed the permissions.
	forbiddenRetry = time.Hour
	// sendTimeout bounds one message send.
	sendTimeout = 30 * time.Second
	// nonceTrust is how long after a send Discord's enforce_nonce is relied
	// on to refuse a duplicate. Discord promises "the past few minutes";
	// past this the channel is searched for the message instead.
	nonceTrust = 2 * time.Minute
	// reconcilePages bounds that search, at 100 messages a page.
	reconcilePages = 10
	// budgetLogEvery spaces the log line saying delivery is paused for
	// Discord's invalid-request limit.
	budgetLogEvery = time.Minute
	// channelLease is how long a channel's sender holds the channel against
	// other Vigil processes; it renews the lease after every send, so the
	// lease only has to outlast one (sendTimeout). A process that dies
	// loses its leases when its heartbeat expires, sooner than this.
	channelLease = 2 * sendTimeout
)

// Discord JSON error codes the worker tells apart.
const (
	codeUnknownChannel     = 10003
	codeMissingAccess      = 50001
	codeMissingPermissions = 50013
)

// Wake tells the worker that new deliveries may be due.
func (b *Bot) Wake() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// Deliver drains the outbox until ctx ends, then waits for messages being
// sent to finish, so a shutdown never leaves a sent message unmarked.
func (b *Bot) Deliver(ctx context.Context) {
	t := time.NewTicker(pollOutboxEvery)
	defer t.Stop()
	defer b.sends.Wait()
	sem := make(chan struct{}, maxChannelWorkers)
	for {
		if b.outage.probeDue(time.Now()) {
			b.probe(ctx)
		}
		if b.mayDeliver() {
			b.dispatch(ctx, sem)
			b.editAlerts(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.wake:
		}
	}
}

// mayDeliver reports whether requests may go to Discord now: the token is
// accepted, no global rate limit or ban is running, and Discord's count of
// refused requests is far from its ban.
func (b *Bot) mayDeliver() bool {
	if b.guard.rejected.Load() || b.outage.isDown() {
		return false
	}
	now := time.Now()
	if until, banned := b.guard.heldUntil(); now.Before(until) {
		if banned {
			b.logBudget("Discord's edge refused the bot's requests (an IP ban after too many invalid requests); delivery waits", "until", until)
		}
		return false
	}
	if n := b.guard.invalid(); n >= invalidBudget {
		b.logBudget("delivery paused: Discord refused too many requests in 10 minutes (it bans the IP at 10,000); alerts stay queued",
			"refused", n, "budget", invalidBudget)
		return false
	}
	return true
}

func (b *Bot) logBudget(msg string, args ...any) {
	b.deliverMu.Lock()
	due := time.Since(b.budgetLogged) >= budgetLogEvery
	if due {
		b.budgetLogged = time.Now()
	}
	b.deliverMu.Unlock()
	if due {
		b.log.Warn(msg, args...)
	}
}

// dispatch starts a sender for each channel with due alerts that has none.
// A channel has one sender at a time, which reads the channel's queue
// itself, so nothing read before another sender finished is sent again.
func (b *Bot) dispatch(ctx context.Context, sem chan struct{}) {
	due, err := b.cfg.Store.DueChannels(ctx, b.cfg.Now(), dueChannelsBatch)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Error("read outbox", "err", err)
		}
		return
	}
	for _, ch := range due {
		b.deliverMu.Lock()
		busy := b.busy[ch]
		b.busy[ch] = true
		b.deliverMu.Unlock()
		if busy {
			continue
		}
		unlease, ok := b.claim(ctx, channelLeaseName(ch))
		if !ok {
			// Another Vigil process is sending to this channel.
			b.release(ch)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			unlease()
			b.release(ch)
			return
		}
		b.sends.Add(1)
		go func() {
			defer b.sends.Done()
			defer func() { <-sem }()
			defer b.release(ch)
			defer unlease()
			b.sendChannel(ctx, ch)
		}()
	}
}

// claim takes a lease against the other Vigil processes sharing the
// database; with none configured, this process is the only one.
func (b *Bot) claim(ctx context.Context, name string) (release func(), ok bool) {
	if b.cfg.Claim == nil {
		return func() {}, true
	}
	return b.cfg.Claim(ctx, name, channelLease)
}

func channelLeaseName(channelID string) string { return "channel:" + channelID }

func (b *Bot) release(channelID string) {
	b.deliverMu.Lock()
	defer b.deliverMu.Unlock()
	delete(b.busy, channelID)
}

// sendChannel sends a channel's queue in order until it is empty or a send
// fails; a failure holds the channel, and with it every alert behind.
func (b *Bot) sendChannel(ctx context.Context, channelID string) {
	hold, held, err := b.cfg.Store.ChannelHold(ctx, channelID)
	if err != nil {
		b.log.Error("read channel hold", "channel", channelID, "err", err)
		return
	}
	if held && hold.Until.After(b.cfg.Now()) {
		// The list of due channels was read before another sender of
		// this channel failed and held it.
		return
	}
	for ctx.Err() == nil {
		ds, err := b.cfg.Store.ChannelQueue(ctx, channelID, b.cfg.Now(), channelBatch)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Error("read channel's alerts", "channel", channelID, "err", err)
			}
			return
		}
		for _, d := range ds {
			if ctx.Err() != nil || !b.mayDeliver() {
				return
			}
			if !b.sendOne(ctx, d) {
				return
			}
			if _, ok := b.claim(ctx, channelLeaseName(channelID)); !ok {
				// The lease could not be renewed: stop rather than
				// risk sending beside another process.
				return
			}
			if held {
				held = false
				b.channelBack(ctx, hold)
			}
		}
		if len(ds) < channelBatch {
			return
		}
	}
}

// channelBack ends a channel's hold after a send went through; a channel
// that forbade the bot has had its permissions fixed, so its subscriptions
// resume.
func (b *Bot) channelBack(ctx context.Context, hold alerts.ChannelHold) {
	rec := context.WithoutCancel(ctx)
	if _, err := b.cfg.Store.ReleaseChannel(rec, hold.ChannelID); err != nil {
		b.log.Error("release channel", "channel", hold.ChannelID, "err", err)
	}
	if hold.Kind == alerts.HoldForbidden {
		if err := b.cfg.Store.SetChannelPaused(rec, hold.ChannelID, false); err != nil {
			b.log.Error("resume channel", "channel", hold.ChannelID, "err", err)
		}
		b.cfg.Changed()
		b.log.Info("Vigil may post in the channel again; its subscriptions resumed", "channel", hold.ChannelID, "held_since", hold.Since)
	}
}

// alertMarker is the reference shown in an alert's footer. It is how an
// alert whose send went unanswered is found in the channel once Discord no
// longer remembers its nonce.
func alertMarker(d alerts.Delivery) string {
	ref := strings.TrimPrefix(d.Nonce, "v")
	return "ref " + ref[:min(len(ref), 10)]
}

// sendOne sends one delivery and records the outcome; it reports whether
// the channel's next alert may be sent.
func (b *Bot) sendOne(ctx context.Context, d alerts.Delivery) bool {
	if err := b.pacer.wait(ctx); err != nil {
		return false
	}
	// A send that has started finishes even when shutting down, and its
	// outcome is recorded: draining, not abandoning, is what keeps a
	// message Discord accepted from being left unmarked.
	rec := context.WithoutCancel(ctx)
	start := b.cfg.Now()
	if !d.AttemptedAt.IsZero() && start.Sub(d.AttemptedAt) >= nonceTrust {
		id, found, err := b.findSent(ctx, d.ChannelID, alertMarker(d), d.AttemptedAt)
		if err != nil {
			return b.sendFailed(rec, d, err, false)
		}
		if found {
			b.log.Info("an alert whose send went unanswered had reached the channel; not sending it again", "channel", d.ChannelID, "story", d.Story.ID, "message", id)
			return b.delivered(rec, d, id)
		}
	}
	fresh := d.AttemptedAt.IsZero()
	if err := b.cfg.Store.MarkAttempted(rec, d.ID, start); err != nil {
		// Without the record a crash could leave a doubt no search
		// settles; better not to send yet.
		b.log.Error("record send", "delivery", d.ID, "err", err)
		return false
	}
	m := b.alertMessage(d)
	if d.Digest {
		// Read only now that the send is recorded: from here on, what is
		// folded opens the channel's next digest, so nothing folded is
		// left out of every message.
		n, sample, err := b.cfg.Store.DigestContents(rec, d.ID, digestSample)
		if err != nil {
			b.log.Error("read digest", "delivery", d.ID, "err", err)
			return false
		}
		m = b.digestMessage(d, n, sample)
	}
	// The send ignores shutdown's first request (ctx) but not Abort.
	sendCtx, cancel := context.WithTimeout(b.abort, sendTimeout)
	msg, err := b.post(sendCtx, d.ChannelID, m)
	cancel()
	if err != nil {
		return b.sendFailed(rec, d, err, fresh)
	}
	b.log.Debug("alert delivered", "channel", d.ChannelID, "story", d.Story.ID, "took", b.cfg.Now().Sub(start))
	return b.delivered(rec, d, msg.ID)
}

func (b *Bot) delivered(ctx context.Context, d alerts.Delivery, messageID string) bool {
	if err := b.cfg.Store.MarkDelivered(ctx, d.ID, messageID, b.cfg.Now()); err != nil {
		b.log.Error("mark delivery sent", "delivery", d.ID, "channel", d.ChannelID, "err", err)
		return false
	}
	b.cfg.OnDelivered("sent", b.cfg.Now().Sub(d.CreatedAt))
	return true
}

// failure is what a Discord error means for delivery.
type failure int

const (
	// failUnknown: the message may or may not have been posted (a 5xx, a
	// timeout, a dropped connection).
	failUnknown failure = iota
	failRateLimited
	failForbidden
	failGone
	// failRefused: Discord refused this message itself (400).
	failRefused
	failToken
)

// classify reads a send's error; retryAfter is set for rate limits.
func classify(err error) (f failure, retryAfter time.Duration) {
	if errors.Is(err, ErrTokenRejected) {
		return failToken, 0
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil {
		return failRateLimited, rl.RetryAfter
	}
	var rest *discordgo.RESTError
	if !errors.As(err, &rest) || rest.Response == nil {
		return failUnknown, 0
	}
	code := 0
	if rest.Message != nil {
		code = rest.Message.Code
	}
	status := rest.Response.StatusCode
	switch {
	case status == http.StatusUnauthorized:
		return failToken, 0
	case status == http.StatusTooManyRequests:
		return failRateLimited, time.Second
	case status == http.StatusNotFound || code == codeUnknownChannel:
		return failGone, 0
	case status == http.StatusForbidden || code == codeMissingAccess || code == codeMissingPermissions:
		return failForbidden, 0
	case status >= 400 && status < 500:
		return failRefused, 0
	}
	return failUnknown, 0
}

// sendFailed records a failed send and holds the channel as the failure
// requires; it reports whether the channel's next alert may be sent.
// fresh says this attempt was the delivery's first with an unknown
// outcome, so a definite refusal clears it.
func (b *Bot) sendFailed(ctx context.Context, d alerts.Delivery, err error, fresh bool) bool {
	f, retryAfter := classify(err)
	if f != failUnknown && fresh {
		if err := b.cfg.Store.ClearAttempted(ctx, d.ID); err != nil {
			b.log.Error("record refused send", "delivery", d.ID, "err", err)
		}
	}
	now := b.cfg.Now()
	hold := func(kind string, until time.Time, reason string) alerts.ChannelHold {
		h, err := b.cfg.Store.HoldChannel(ctx, alerts.ChannelHold{ChannelID: d.ChannelID, Until: until, Kind: kind, Reason: reason})
		if err != nil {
			b.log.Error("hold channel", "channel", d.ChannelID, "err", err)
		}
		return h
	}
	switch f {
	case failToken:
		// The guard has said so in the log; the alert stays queued.
		b.cfg.OnDelivered("retry", 0)
	case failRateLimited:
		hold(alerts.HoldRateLimit, now.Add(retryAfter), err.Error())
		b.cfg.OnDelivered("retry", 0)
	case failForbidden:
		cause := fmt.Errorf("the bot may not post in channel %s (it needs %s there)", d.ChannelID, neededPermissions)
		h := hold(alerts.HoldForbidden, now.Add(forbiddenRetry), cause.Error())
		if h.Failures <= 1 {
			b.channelUnusable(ctx, d.ChannelID, cause, false)
		} else {
			b.log.Info("channel still forbids the bot; its alerts stay held", "channel", d.ChannelID, "since", h.Since, "next_probe", h.Until)
		}
		b.cfg.OnDelivered("paused", 0)
	case failGone:
		b.channelUnusable(ctx, d.ChannelID, fmt.Errorf("channel %s no longer exists", d.ChannelID), true)
		b.cfg.OnDelivered("paused", 0)
	case failRefused:
		// Sending the same message again cannot succeed, and the
		// channel's other alerts must not wait behind it.
		b.log.Error("Discord refused an alert; it is not retried", "channel", d.ChannelID, "story", d.Story.ID, "reason", discordReason(err))
		if err := b.cfg.Store.RefuseDelivery(ctx, d.ID, fmt.Errorf("Discord refused the alert for %q: %s", d.Story.Title, discordReason(err)), now); err != nil {
			b.log.Error("record refused alert", "delivery", d.ID, "err", err)
			return false
		}
		b.cfg.OnDelivered("refused", 0)
		return true
	default:
		// No answer or a 5xx: Discord itself may be down. Nothing more
		// is sent until a probe finds it answering (see outage); the
		// channel's own back-off only matters if Discord answers and
		// this channel still fails.
		h, _, _ := b.cfg.Store.ChannelHold(ctx, d.ChannelID)
		wait := min(retryBase<<min(h.Failures, 8), retryMax)
		b.log.Warn("delivery failed; the channel's alerts wait", "channel", d.ChannelID, "story", d.Story.ID, "retry_in", wait, "err", err)
		hold(alerts.HoldRetry, now.Add(wait), err.Error())
		b.outage.fail(time.Now(), err)
		b.cfg.OnDelivered("retry", 0)
	}
	return false
}

// findSent looks for the bot's message carrying marker in a channel's
// messages since a send whose answer never came, newest first.
func (b *Bot) findSent(ctx context.Context, channelID, marker string, since time.Time) (string, bool, error) {
	self := b.self().ID
	// Discord's clock and ours may differ by a little.
	oldest := since.Add(-time.Minute)
	before := ""
	for range reconcilePages {
		if err := b.pacer.wait(ctx); err != nil {
			return "", false, err
		}
		reqCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		msgs, err := b.session.ChannelMessages(channelID, 100, before, "", "", discordgo.WithContext(reqCtx))
		cancel()
		if err != nil {
			return "", false, fmt.Errorf("search channel %s for an unconfirmed message: %w", channelID, err)
		}
		for _, m := range msgs {
			if (self == "" || m.Author != nil && m.Author.ID == self) && carriesMarker(m, marker) {
				return m.ID, true, nil
			}
		}
		if len(msgs) < 100 || msgs[len(msgs)-1].Timestamp.Before(oldest) {
			return "", false, nil
		}
		before = msgs[len(msgs)-1].ID
	}
	b.log.Warn("an unconfirmed message was not found in the channel's last messages; sending it", "channel", channelID, "searched", reconcilePages*100)
	return "", false, nil
}

func carriesMarker(m *discordgo.Message, marker string) bool {
	for _, e := range m.Embeds {
		if e.Footer != nil && strings.HasSuffix(e.Footer.Text, marker) {
			return true
		}
	}
	return false
}

// channelUnusable pauses a channel's subscriptions and tells the members who
// set them up, by direct message, once per pause; gone channels also drop
// their pending alerts, as there is nowhere to send them.
func (b *Bot) channelUnusable(ctx context.Context, channelID string, cause error, gone bool) {
	b.log.Warn("pausing a channel's subscriptions", "channel", channelID, "reason", cause)
	creators, err := b.cfg.Store.PauseChannel(ctx, channelID)
	if err != nil {
		b.log.Error("pause channel", "channel", channelID, "err", err)
	}
	if gone {
		if _, err := b.cfg.Store.DropChannelDeliveries(ctx, channelID, cause); err != nil {
			b.log.Error("drop deliveries", "channel", channelID, "err", err)
		}
	}
	b.cfg.Changed()
	what := fmt.Sprintf("Vigil can no longer post in <#%s>: %v. Its subscriptions there are paused and its queued alerts held; none is lost. "+
		"Give the bot %s there; Vigil tries again within the hour, or run /watch resume in that channel.", channelID, cause, neededPermissions)
	if gone {
		what = fmt.Sprintf("The channel %s that Vigil posted alerts to was deleted, so its subscriptions are paused.", channelID)
	}
	for _, userID := range creators[:min(len(creators), maxPauseNotices)] {
		if err := b.directMessage(ctx, userID, what); err != nil {
			// Members may refuse DMs from server bots; the pause shows in
			// /watch list either way.
			b.log.Info("could not tell a member about a paused channel", "user", userID, "channel", channelID, "err", err)
		}
	}
}

// maxPauseNotices bounds the direct messages sent about one paused channel.
const maxPauseNotices = 3

func (b *Bot) directMessage(ctx context.Context, userID, text string) error {
	if err := b.pacer.wait(ctx); err != nil {
		return err
	}
	dm, err := b.session.UserChannelCreate(userID, discordgo.WithContext(ctx))
	if err != nil {
		return err
	}
	if err := b.pacer.wait(ctx); err != nil {
		return err
	}
	_, err = b.session.ChannelMessageSendComplex(dm.ID, &discordgo.MessageSend{
		Content:         truncate(text, maxContent),
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}},
	}, discordgo.WithContext(ctx))
	return err
}

// post creates a message through discordgo's rate limiter, with the nonce
// and enforce_nonce that make a retry return the first message instead of
// posting a second.
func (b *Bot) post(ctx context.Context, channelID string, m messageCreate) (*discordgo.Message, error) {
	fitMessage(&m)
	endpoint := discordgo.EndpointChannelMessages(channelID)
	body, err := b.session.RequestWithBucketID(http.MethodPost, endpoint, m, endpoint, discordgo.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	var msg discordgo.Message
	if err := json.Unmarshal(body, &msg); err != nil {
		return nil, fmt.Errorf("read Discord's answer: %w", err)
	}
	return &msg, nil
}

// editBatch bounds the alerts edited per pass; edits are rare (a second
// outlet reporting an event within hours) and cosmetic.
const editBatch = 50

// editAlerts adds "also reported by" to recent alerts whose event another
// outlet has since reported, instead of posting the event again. An edit is
// tried once: if Discord refuses it (the message was deleted, say), the
// alert stays as it was, which loses nothing.
func (b *Bot) editAlerts(ctx context.Context) {
	edits, err := b.cfg.Store.PendingEdits(ctx, editBatch)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Error("read alerts to edit", "err", err)
		}
		return
	}
	for _, d := range edits {
		if err := b.pacer.wait(ctx); err != nil {
			return
		}
		m := b.alertMessage(d)
		fitMessage(&m)
		edit := messageEdit{Embeds: m.Embeds, AllowedMentions: m.AllowedMentions}
		endpoint := discordgo.EndpointChannelMessage(d.ChannelID, d.MessageID)
		sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		_, err := b.session.RequestWithBucketID(http.MethodPatch, endpoint, edit, discordgo.EndpointChannelMessage(d.ChannelID, ""), discordgo.WithContext(sendCtx))
		cancel()
		if err != nil {
			b.log.Warn("could not add other outlets to an alert", "channel", d.ChannelID, "message", d.MessageID, "err", err)
		}
		if err := b.cfg.Store.MarkEdited(context.WithoutCancel(ctx), d.ID); err != nil {
			b.log.Error("mark alert edited", "delivery", d.ID, "err", err)
		}
	}
}

// messageEdit is the body of PATCH /channels/{id}/messages/{id}.
type messageEdit struct {
	Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
}
