// Package pipeline takes a poll's parsed stories to stored, matched alerts:
// new stories only, tagged with places, summarised, clustered with other
// outlets' reports of the same event, matched against every subscription and
// handed to the store in one batch.
package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// Stages are the steps applied to each new story. Nil stages are skipped, so
// a command that only needs some of them (vigil check) can leave others out.
type Stages struct {
	// Tag returns the countries (ISO alpha-2) and region slugs a story is
	// about and those it names.
	Tag func(title, text string) alerts.Places
	// Summarize turns a story into a short summary, from its title, the
	// feed's description (may be empty) and its text.
	Summarize func(title, description, text string) string
	// Cluster assigns the story to an event, setting its ClusterID.
	Cluster func(s *alerts.Story)
	// Recall, if set, runs before a poll's new stories are clustered, so
	// that the clusterer also knows the stories other Vigil processes
	// sharing the database stored: an event reported on a feed another
	// process polls is still one event. Process calls the func it returns
	// once the stories are saved, or their save failed: until then the
	// other processes may be kept from clustering, so that each sees
	// every report stored before it clusters its own.
	Recall func(ctx context.Context) (saved func())
	// Match appends to dst the subscriptions that want the story and
	// returns the extended slice, as match.Index.AppendMatchesSeenBy
	// does: a poll's matches collect in one slice, without one per story.
	// owners are the servers that may see the story's feed (the feed's
	// Owners); only their subscriptions need be matched.
	Match func(dst []alerts.Match, s *alerts.Story, owners []string) []alerts.Match
	// Article fetches the article page's main text for feeds that opt in.
	Article func(ctx context.Context, url string) (string, error)
}

// Store is what the pipeline needs of storage.
type Store interface {
	KnownStoryIDs(ctx context.Context, feedURL string, ids []string) (map[string]bool, error)
	SaveStories(ctx context.Context, feedURL string, stories []alerts.Story, matches []alerts.Match) (alerts.SaveResult, error)
}

// Config builds a Pipeline.
type Config struct {
	Stages Stages
	Store  Store
	// FirstPollWindow: on a feed's first poll, stories published within this
	// long before now still alert; older ones are only recorded. Zero means
	// the first poll alerts nothing, so adding a feed never floods a channel.
	FirstPollWindow time.Duration
	// ArticleTimeout bounds fetching one article page; on timeout the feed's
	// own text is summarised instead.
	ArticleTimeout time.Duration
	Now            func() time.Time
	Logger         *slog.Logger
}

// maxClockSkew is how far in the future a story's date may be before it is
// taken as wrong; outlets' clocks and time zones are often a little off.
const maxClockSkew = 15 * time.Minute

// defaultArticleTimeout keeps a slow article page from holding an alert back
// for long: the feed text is a fine fallback.
const defaultArticleTimeout = 10 * time.Second

// Pipeline processes polls. It is safe for concurrent use if its stages are.
type Pipeline struct {
	cfg Config
}

// New returns a Pipeline; Now defaults to the wall clock and Logger to
// slog.Default.
func New(cfg Config) *Pipeline {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ArticleTimeout <= 0 {
		cfg.ArticleTimeout = defaultArticleTimeout
	}
	return &Pipeline{cfg: cfg}
}

// Result is what one poll produced.
type Result struct {
	// Stories are the poll's new stories, processed, oldest first.
	Stories []alerts.Story
	// Matches are the alerts wanted for those stories, before the store
	// collapses reports of an event a channel already has.
	Matches []alerts.Match
	// Saved is what the store wrote.
	Saved alerts.SaveResult
	// Quiet counts new stories on a feed's first poll that were recorded
	// without alerting because they are older than the first-poll window.
	Quiet int
	// Folded counts the matches folded because the poll was a burst.
	Folded int
}

// Bursts: a feed that suddenly serves far more new stories than it usually
// does (a CMS re-publishing its archive, a hijacked feed, a spammer's
// feed) must not bury the channels that watch it under a backlog.
const (
	// burstFloor: up to this many new stories in a poll is never a burst,
	// whatever the feed's usual rate; a quiet feed's busy morning passes.
	burstFloor = 20
	// burstFactor: more than this many times the feed's usual new stories
	// per poll is a burst.
	burstFactor = 10
	// burstAlerts is how many of a burst's stories still alert, the newest.
	burstAlerts = 5
)

// burstThreshold is the most new stories a poll of f may bring before it
// is taken as a burst.
func burstThreshold(f alerts.Feed) int {
	return max(burstFloor, int(math.Ceil(burstFactor*f.NewItemsAvg)))
}

// foldBurst marks the matches of every alerting story but the newest
// burstAlerts to be folded, and returns how many it marked.
func foldBurst(stories []alerts.Story, alerting []int, matches []alerts.Match) int {
	newest := slices.Clone(alerting)
	slices.SortStableFunc(newest, func(a, b int) int { return stories[b].Published.Compare(stories[a].Published) })
	keep := make(map[string]bool, burstAlerts)
	for _, i := range newest[:min(burstAlerts, len(newest))] {
		keep[stories[i].ID] = true
	}
	n := 0
	for k := range matches {
		if !keep[matches[k].StoryID] {
			matches[k].Fold = true
			n++
		}
	}
	return n
}

// Process runs a poll's stories through the pipeline and stores them.
func (p *Pipeline) Process(ctx context.Context, f alerts.Feed, stories []alerts.Story) (Result, error) {
	fresh, err := p.newStories(ctx, f.URL, stories)
	if err != nil {
		return Result{}, err
	}
	now := p.cfg.Now()
	var res Result
	willAlert := make([]bool, len(fresh))
	for i := range fresh {
		s := &fresh[i]
		// A date in the future is a feed's mistake (or a trick to look
		// fresh): it is not trusted to pass the first-poll window, and the
		// story is dated when Vigil saw it.
		futureDated := s.Published.After(now.Add(maxClockSkew))
		if futureDated {
			s.Published = now
		}
		willAlert[i] = f.Primed || (p.cfg.FirstPollWindow > 0 && !futureDated && now.Sub(s.Published) <= p.cfg.FirstPollWindow)
		p.enrich(ctx, f, s, willAlert[i])
	}
	// The other processes' stories are read after the article pages, which
	// take seconds, and just before clustering and saving, which take
	// milliseconds: a report another process stored in the meantime is then
	// seen, and its event joined rather than opened a second time.
	if len(fresh) > 0 && p.cfg.Stages.Recall != nil {
		defer p.cfg.Stages.Recall(ctx)()
	}
	var alerting []int // indices into fresh of the stories that alert
	for i := range fresh {
		s := &fresh[i]
		if p.cfg.Stages.Cluster != nil {
			p.cfg.Stages.Cluster(s)
		}
		if !willAlert[i] {
			res.Quiet++
			continue
		}
		alerting = append(alerting, i)
		if p.cfg.Stages.Match != nil {
			res.Matches = p.cfg.Stages.Match(res.Matches, s, f.Owners)
		}
	}
	// A burst whose saving failed part way is finished by this poll: its
	// first parts folded, and the rest fold too, however few they are on
	// their own.
	if limit := burstThreshold(f); len(alerting) > limit || (f.UnfinishedBurst && len(alerting) > 0) {
		res.Folded = foldBurst(fresh, alerting, res.Matches)
		p.cfg.Logger.Warn("a feed served far more new stories than usual: alerting the newest few, folding the rest into each channel's digest",
			"feed", f.URL, "new_stories", len(alerting), "saved_before_a_failed_save", f.UnfinishedSaved,
			"usual_per_poll", math.Round(f.NewItemsAvg*10)/10,
			"burst_above", limit, "alerted", min(burstAlerts, len(alerting)), "folded_stories", max(len(alerting)-burstAlerts, 0))
	}
	res.Stories = fresh
	if p.cfg.Store != nil {
		res.Saved, err = p.cfg.Store.SaveStories(ctx, f.URL, fresh, res.Matches)
		if err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// newStories drops what the store has already seen and orders the rest
// oldest first, so the first outlet to report an event leads its cluster.
func (p *Pipeline) newStories(ctx context.Context, feedURL string, stories []alerts.Story) ([]alerts.Story, error) {
	if p.cfg.Store == nil {
		out := append([]alerts.Story(nil), stories...)
		sortOldestFirst(out)
		return out, nil
	}
	ids := make([]string, len(stories))
	for i, s := range stories {
		ids[i] = s.ID
	}
	known, err := p.cfg.Store.KnownStoryIDs(ctx, feedURL, ids)
	if err != nil {
		return nil, fmt.Errorf("process %s: %w", feedURL, err)
	}
	var out []alerts.Story
	for _, s := range stories {
		if !known[s.ID] {
			out = append(out, s)
		}
	}
	sortOldestFirst(out)
	return out, nil
}

func sortOldestFirst(stories []alerts.Story) {
	sort.SliceStable(stories, func(i, j int) bool { return stories[i].Published.Before(stories[j].Published) })
}

// enrich tags and summarises one story, from the article page's
// text when the feed opted in and the page could be read. Article pages are fetched
// only for stories that will alert: a feed's first poll must not fetch its
// whole back catalogue.
func (p *Pipeline) enrich(ctx context.Context, f alerts.Feed, s *alerts.Story, alert bool) {
	st := p.cfg.Stages
	text := s.Text
	if alert && f.FetchArticle && st.Article != nil && s.URL != "" {
		actx, cancel := context.WithTimeout(ctx, p.cfg.ArticleTimeout)
		body, err := st.Article(actx, s.URL)
		cancel()
		switch {
		case err != nil:
			p.cfg.Logger.Warn("article fetch failed; summarising the feed text", "feed", f.URL, "story", s.ID, "url", s.URL, "err", err)
		case len(body) > len(text):
			text = body
		}
	}
	if st.Tag != nil {
		s.SetPlaces(st.Tag(s.Title, text))
	}
	if st.Summarize != nil {
		s.Summary = st.Summarize(s.Title, s.Description, text)
	}
}
