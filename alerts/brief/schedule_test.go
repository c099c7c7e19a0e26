package brief

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

func at(t *testing.T, zone, local string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", local, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDecide(t *testing.T) {
	london := func(at, last string) alerts.BriefingSetting {
		return alerts.BriefingSetting{ChannelID: "c", At: at, Timezone: "Europe/London", LastPeriod: last}
	}
	tests := []struct {
		name       string
		setting    alerts.BriefingSetting
		now        string
		want       Action
		wantPeriod string
	}{
		{"before the time nothing is due", london("07:30", "2026-11-24"), "2026-11-25 07:29", Wait, ""},
		{"at the time today's briefing is due", london("07:30", "2026-11-24"), "2026-11-25 07:30", Send, "2026-11-25"},
		{"once sent it is not due again", london("07:30", "2026-11-25"), "2026-11-25 09:00", Wait, ""},
		{"missed while down but within grace it is sent", london("07:30", "2026-11-24"), "2026-11-25 13:29", Send, "2026-11-25"},
		{"missed by more than grace it is skipped", london("07:30", "2026-11-24"), "2026-11-25 13:31", Skip, "2026-11-25"},
		{"just after midnight yesterday's late briefing is still due", london("22:00", "2026-11-23"), "2026-11-25 01:00", Send, "2026-11-24"},
		{"a time the spring jump skips is due just after the jump", london("01:30", "2026-03-28"), "2026-03-29 02:30", Send, "2026-03-29"},
		{"and not before it", london("01:30", "2026-03-28"), "2026-03-29 00:59", Wait, ""},
		{"a time the autumn fall repeats is sent once", london("01:30", "2026-10-25"), "2026-10-25 01:45", Wait, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decide(tt.setting, at(t, "Europe/London", tt.now), DefaultGrace)
			if err != nil {
				t.Fatal(err)
			}
			if d.Action != tt.want || d.Period != tt.wantPeriod {
				t.Errorf("Decide = %v %q; want %v %q", d.Action, d.Period, tt.want, tt.wantPeriod)
			}
		})
	}
}

func TestBadTimesAndZonesAreClearErrors(t *testing.T) {
	for _, tt := range []struct{ at, zone, want string }{
		{"7:3", "Europe/London", "HH:MM"},
		{"25:00", "Europe/London", "HH:MM"},
		{"07:30", "Europe/Londn", "not a timezone"},
		{"07:30", "", "IANA name"},
		{"07:30", "Local", "IANA name"},
	} {
		_, err := Decide(alerts.BriefingSetting{At: tt.at, Timezone: tt.zone}, time.Now(), DefaultGrace)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Decide(%q, %q) error = %v; want it to say %q", tt.at, tt.zone, err, tt.want)
		}
	}
}

// memory is a stand-in for storage's briefing rows: what the scheduler's
// check reads and marks.
type memory struct {
	mu       sync.Mutex
	settings map[string]alerts.BriefingSetting
	sent     map[string][]time.Time // channel → send times
}

func (m *memory) check(ctx context.Context, channel string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.settings[channel]
	d, err := Decide(s, time.Now(), DefaultGrace)
	if err != nil || d.Action == Wait {
		return
	}
	s.LastPeriod = d.Period
	m.settings[channel] = s
	if d.Action == Send {
		m.sent[channel] = append(m.sent[channel], time.Now())
	}
}

func TestDaylightSavingNeitherSkipsNorDoublesADay(t *testing.T) {
	tests := []struct {
		name     string
		zone     string
		from, to string // local
		times    []string
	}{
		{"London, spring forward", "Europe/London", "2026-03-27 12:00", "2026-03-31 12:00", []string{"00:30", "01:30", "02:30", "07:00"}},
		{"London, fall back", "Europe/London", "2026-10-23 12:00", "2026-10-27 12:00", []string{"00:30", "01:30", "02:30", "07:00"}},
		{"New York, spring forward", "America/New_York", "2026-03-06 12:00", "2026-03-10 12:00", []string{"01:30", "02:30", "03:30", "09:00"}},
		{"New York, fall back", "America/New_York", "2026-10-30 12:00", "2026-11-03 12:00", []string{"00:30", "01:30", "02:30", "09:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start, end := at(t, tt.zone, tt.from), at(t, tt.zone, tt.to)
				time.Sleep(time.Until(start))
				mem := &memory{settings: map[string]alerts.BriefingSetting{}, sent: map[string][]time.Time{}}
				var settings []alerts.BriefingSetting
				for _, clock := range tt.times {
					// Last sent the day before the window opens.
					s := alerts.BriefingSetting{ChannelID: clock, At: clock, Timezone: tt.zone, LastPeriod: start.Format(PeriodLayout)}
					mem.settings[clock] = s
					settings = append(settings, s)
				}
				sched := NewScheduler(mem.check, slog.New(slog.NewTextHandler(io.Discard, nil)))
				sched.Sync(settings)
				sched.Start(context.Background())
				time.Sleep(end.Sub(start))
				synctest.Wait()
				if err := sched.Stop(context.Background()); err != nil {
					t.Fatal(err)
				}

				loc, _ := time.LoadLocation(tt.zone)
				for _, clock := range tt.times {
					days := map[string]int{}
					for _, sent := range mem.sent[clock] {
						days[sent.In(loc).Format(PeriodLayout)]++
					}
					for day := start.AddDate(0, 0, 1); day.Before(end); day = day.AddDate(0, 0, 1) {
						p := day.In(loc).Format(PeriodLayout)
						if days[p] != 1 {
							t.Errorf("briefing at %s on %s sent %d times, want once (sent: %v)", clock, p, days[p], mem.sent[clock])
						}
					}
					// Each went out at its time, or within the catch-up
					// interval of it when the time did not exist.
					for _, sent := range mem.sent[clock] {
						local := sent.In(loc)
						h, m, _ := ParseClock(clock)
						due := time.Date(local.Year(), local.Month(), local.Day(), h, m, 0, 0, loc)
						if late := sent.Sub(due); late < 0 || late > catchUpEvery {
							t.Errorf("briefing at %s sent at %v, %v after its time", clock, local, late)
						}
					}
				}
			})
		})
	}
}
