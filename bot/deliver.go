package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/alerts"
)

// deliveryStore is the outbox as the delivery worker sees it.
type deliveryStore interface {
	PendingDeliveries(ctx context.Context, now time.Time, limit int) ([]alerts.Delivery, error)
	MarkDelivered(ctx context.Context, id int64, messageID string, at time.Time) error
	RetryDelivery(ctx context.Context, id int64, cause error, next time.Time) error
	DropChannelDeliveries(ctx context.Context, channelID string, cause error) (int, error)
	SetChannelPaused(ctx context.Context, channelID string, paused bool) error
	PauseChannel(ctx context.Context, channelID string) ([]string, error)
	PendingEdits(ctx context.Context, limit int) ([]alerts.Delivery, error)
	MarkEdited(ctx context.Context, id int64) error
}

// Delivery tuning.
const (
	// pollOutboxEvery is how often the worker looks for due deliveries when
	// nobody woke it.
	pollOutboxEvery = time.Second
	// outboxBatch bounds one read of the outbox.
	outboxBatch = 500
	// maxChannelWorkers bounds channels sent to at once; each sends its
	// alerts in order, one at a time, so per-channel rate limits hold.
	maxChannelWorkers = 64
	// retryBase and retryMax shape the back-off after a 429 or 5xx that
	// discordgo's own retries did not absorb.
	retryBase = 5 * time.Second
	retryMax  = 30 * time.Minute
	// forbiddenRetry is when a delivery to a channel that forbids the bot is
	// tried again: the admin may fix the permissions, and nothing is lost.
	forbiddenRetry = time.Hour
	// sendTimeout bounds one message send, discordgo's own rate-limit
	// waits and retries included.
	sendTimeout = 30 * time.Second
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
		b.dispatch(ctx, sem)
		b.editAlerts(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.wake:
		}
	}
}

// dispatch starts one sender per channel with due deliveries not already
// being sent.
func (b *Bot) dispatch(ctx context.Context, sem chan struct{}) {
	due, err := b.cfg.Store.PendingDeliveries(ctx, b.cfg.Now(), outboxBatch)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Error("read outbox", "err", err)
		}
		return
	}
	byChannel := map[string][]alerts.Delivery{}
	var order []string
	b.deliverMu.Lock()
	for _, d := range due {
		if b.inFlight[d.ID] {
			continue
		}
		b.inFlight[d.ID] = true
		if _, ok := byChannel[d.ChannelID]; !ok {
			order = append(order, d.ChannelID)
		}
		byChannel[d.ChannelID] = append(byChannel[d.ChannelID], d)
	}
	b.deliverMu.Unlock()
	for _, ch := range order {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			b.release(byChannel[ch])
			continue
		}
		b.sends.Add(1)
		go func(ds []alerts.Delivery) {
			defer b.sends.Done()
			defer func() { <-sem }()
			b.sendChannel(ctx, ds)
		}(byChannel[ch])
	}
}

func (b *Bot) release(ds []alerts.Delivery) {
	b.deliverMu.Lock()
	defer b.deliverMu.Unlock()
	for _, d := range ds {
		delete(b.inFlight, d.ID)
	}
}

// sendChannel sends one channel's deliveries in order. A channel that is
// gone or forbids the bot stops at once; other channels are unaffected.
func (b *Bot) sendChannel(ctx context.Context, ds []alerts.Delivery) {
	defer b.release(ds)
	for _, d := range ds {
		if ctx.Err() != nil {
			return
		}
		if stop := b.sendOne(ctx, d); stop {
			return
		}
	}
}

// sendOne sends one delivery and records the outcome; stop says the rest of
// the channel's deliveries should wait.
func (b *Bot) sendOne(ctx context.Context, d alerts.Delivery) (stop bool) {
	if err := b.pacer.wait(ctx); err != nil {
		return true
	}
	start := b.cfg.Now()
	// A send that has started finishes even when shutting down, and its
	// outcome is recorded: draining, not abandoning, is what keeps a
	// message Discord accepted from being left unmarked.
	rec := context.WithoutCancel(ctx)
	sendCtx, cancel := context.WithTimeout(rec, sendTimeout)
	msg, err := b.post(sendCtx, d.ChannelID, b.alertMessage(d))
	cancel()
	if err == nil {
		if err := b.cfg.Store.MarkDelivered(rec, d.ID, msg.ID, b.cfg.Now()); err != nil {
			b.log.Error("mark delivery sent", "delivery", d.ID, "channel", d.ChannelID, "err", err)
		}
		b.cfg.OnDelivered("sent", b.cfg.Now().Sub(d.CreatedAt))
		b.log.Debug("alert delivered", "channel", d.ChannelID, "story", d.Story.ID, "took", b.cfg.Now().Sub(start))
		return false
	}
	var rest *discordgo.RESTError
	if errors.As(err, &rest) && rest.Response != nil {
		code := 0
		if rest.Message != nil {
			code = rest.Message.Code
		}
		switch {
		case rest.Response.StatusCode == http.StatusNotFound || code == codeUnknownChannel:
			b.channelUnusable(rec, d.ChannelID, fmt.Errorf("channel %s no longer exists", d.ChannelID), true)
			b.cfg.OnDelivered("paused", 0)
			return true
		case rest.Response.StatusCode == http.StatusForbidden || code == codeMissingAccess || code == codeMissingPermissions:
			cause := fmt.Errorf("the bot may not post in channel %s (needs View Channel, Send Messages and Embed Links)", d.ChannelID)
			b.channelUnusable(rec, d.ChannelID, cause, false)
			if err := b.cfg.Store.RetryDelivery(rec, d.ID, cause, b.cfg.Now().Add(forbiddenRetry)); err != nil {
				b.log.Error("reschedule delivery", "delivery", d.ID, "err", err)
			}
			b.cfg.OnDelivered("paused", 0)
			return true
		case rest.Response.StatusCode == http.StatusBadRequest:
			// Discord refused this message itself (an embed it will not
			// take); retrying the same bytes cannot help, and the channel's
			// other alerts must not wait behind it.
			b.log.Error("Discord refused an alert", "channel", d.ChannelID, "story", d.Story.ID, "err", err)
			b.retryLater(rec, d, err, retryMax)
			return false
		}
	}
	if ctx.Err() != nil {
		b.retryLater(rec, d, err, 0)
		return true
	}
	wait := retryBase << min(d.Attempts, 10)
	b.log.Warn("delivery failed; will retry", "channel", d.ChannelID, "story", d.Story.ID, "attempt", d.Attempts+1, "retry_in", min(wait, retryMax), "err", err)
	b.retryLater(rec, d, err, min(wait, retryMax))
	return true
}

func (b *Bot) retryLater(ctx context.Context, d alerts.Delivery, cause error, after time.Duration) {
	b.cfg.OnDelivered("retry", 0)
	if err := b.cfg.Store.RetryDelivery(ctx, d.ID, cause, b.cfg.Now().Add(after)); err != nil {
		b.log.Error("reschedule delivery", "delivery", d.ID, "err", err)
	}
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
	what := fmt.Sprintf("Vigil can no longer post in <#%s>: %v. Its subscriptions there are paused and no alert is lost; "+
		"give the bot View Channel, Send Messages and Embed Links there, then run /watch resume in that channel.", channelID, cause)
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
