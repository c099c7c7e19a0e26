package brief

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	// Zones must load on any host, with or without a system tz database.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"

	"github.com/vigilbot/vigil/alerts"
)

// PeriodLayout formats a briefing period: the channel's local date.
const PeriodLayout = "2006-01-02"

// DefaultGrace is how late a missed briefing may still be sent, for example
// after the bot was down at the channel's briefing time.
const DefaultGrace = 6 * time.Hour

// Action is what to do about a channel's briefing now.
type Action int

const (
	// Wait: nothing is due.
	Wait Action = iota
	// Send the briefing for Decision.Period.
	Send
	// Skip the period: it was missed by more than the grace period, so a
	// stale briefing is not sent; it is recorded and logged instead.
	Skip
)

func (a Action) String() string {
	return [...]string{"wait", "send", "skip"}[a]
}

// Decision says what to do about a briefing and for which period.
type Decision struct {
	Action Action
	// Period is the local date the briefing is for.
	Period string
	// Scheduled is when the period's briefing was due.
	Scheduled time.Time
}

// ParseClock parses "HH:MM" (24-hour).
func ParseClock(s string) (hour, minute int, err error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return 0, 0, fmt.Errorf("%q is not a time of day; write it as HH:MM on a 24-hour clock, like 07:30 or 18:00", s)
	}
	return hour, minute, nil
}

// LoadZone loads an IANA timezone, with an error a server admin can act on.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || strings.EqualFold(name, "local") {
		return nil, fmt.Errorf("give a timezone by its IANA name, like Europe/London or America/New_York")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a timezone Vigil knows; use an IANA name like Europe/London, America/New_York or Asia/Tokyo", name)
	}
	return loc, nil
}

// Decide says whether the briefing s is due at now. The period is the local
// date; its briefing is due at the setting's local time that day — a time
// skipped by a daylight-saving jump counts as the moment after the jump, and
// a time that happens twice counts once, because a period is handled once.
// A briefing missed by more than grace is skipped, not sent late.
func Decide(s alerts.BriefingSetting, now time.Time, grace time.Duration) (Decision, error) {
	loc, err := LoadZone(s.Timezone)
	if err != nil {
		return Decision{}, err
	}
	hour, minute, err := ParseClock(s.At)
	if err != nil {
		return Decision{}, err
	}
	local := now.In(loc)
	y, m, d := local.Date()
	today := time.Date(y, m, d, hour, minute, 0, 0, loc)
	// Before today's time, yesterday's briefing may still be within grace.
	for _, due := range []time.Time{today, time.Date(y, m, d-1, hour, minute, 0, 0, loc)} {
		if now.Before(due) {
			continue
		}
		period := due.Format(PeriodLayout)
		if s.LastPeriod >= period {
			return Decision{Action: Wait}, nil
		}
		if now.Sub(due) > grace {
			return Decision{Action: Skip, Period: period, Scheduled: due}, nil
		}
		return Decision{Action: Send, Period: period, Scheduled: due}, nil
	}
	return Decision{Action: Wait}, nil
}

// catchUpEvery is how often every briefing is re-checked, besides its own
// cron entry: it sends briefings whose time a daylight-saving jump skipped
// (cron does not run those) and ones missed while Vigil was down.
const catchUpEvery = 5 * time.Minute

// Scheduler fires a check for a channel's briefing at its local time, with
// one cron entry per channel (CRON_TZ=zone), and for every channel every few
// minutes. Firing only triggers a check: what is due is decided by Decide on
// the stored setting, so extra or doubled firings are harmless.
type Scheduler struct {
	cron  *cron.Cron
	check func(ctx context.Context, channelID string)
	log   *slog.Logger

	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	entries map[string]scheduledBriefing
}

type scheduledBriefing struct {
	id   cron.EntryID
	spec string
}

// NewScheduler returns a Scheduler calling check for a channel whenever its
// briefing might be due.
func NewScheduler(check func(ctx context.Context, channelID string), log *slog.Logger) *Scheduler {
	if log == nil {
		log = slog.Default()
	}
	cl := cronLogger{log}
	s := &Scheduler{
		// SkipIfStillRunning outside Recover, as in poll: a panicking check
		// must release its skip token.
		cron:    cron.New(cron.WithChain(cron.SkipIfStillRunning(cl), cron.Recover(cl)), cron.WithLogger(cl)),
		check:   check,
		log:     log,
		entries: map[string]scheduledBriefing{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Start starts the scheduler and checks every briefing at once, so one missed
// while Vigil was down goes out now if still within grace.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.mu.Unlock()
	s.cron.Schedule(cron.Every(catchUpEvery), cron.FuncJob(s.checkAll))
	s.cron.Start()
	go s.checkAll()
}

// Stop stops the scheduler and waits for running checks, or for ctx.
func (s *Scheduler) Stop(ctx context.Context) error {
	done := s.cron.Stop()
	s.mu.Lock()
	s.cancel()
	s.mu.Unlock()
	select {
	case <-done.Done():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop briefing scheduler: %w", ctx.Err())
	}
}

// Sync makes the cron entries match settings. A setting with a bad time or
// zone is logged and left out; the others are scheduled.
func (s *Scheduler) Sync(settings []alerts.BriefingSetting) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := map[string]string{}
	for _, b := range settings {
		hour, minute, err := ParseClock(b.At)
		if err == nil {
			_, err = LoadZone(b.Timezone)
		}
		if err != nil {
			s.log.Error("briefing cannot be scheduled", "channel", b.ChannelID, "err", err)
			continue
		}
		want[b.ChannelID] = fmt.Sprintf("CRON_TZ=%s %d %d * * *", b.Timezone, minute, hour)
	}
	for ch, e := range s.entries {
		if want[ch] != e.spec {
			s.cron.Remove(e.id)
			delete(s.entries, ch)
		}
	}
	for ch, spec := range want {
		if _, ok := s.entries[ch]; ok {
			continue
		}
		channel := ch
		id, err := s.cron.AddFunc(spec, func() { s.check(s.context(), channel) })
		if err != nil {
			s.log.Error("briefing cannot be scheduled", "channel", ch, "spec", spec, "err", err)
			continue
		}
		s.entries[ch] = scheduledBriefing{id: id, spec: spec}
	}
}

func (s *Scheduler) context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx
}

func (s *Scheduler) checkAll() {
	s.mu.Lock()
	channels := make([]string, 0, len(s.entries))
	for ch := range s.entries {
		channels = append(channels, ch)
	}
	ctx := s.ctx
	s.mu.Unlock()
	for _, ch := range channels {
		if ctx.Err() != nil {
			return
		}
		s.check(ctx, ch)
	}
}

type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("briefing cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("briefing cron: "+msg, append(kv, "err", err)...)
}
