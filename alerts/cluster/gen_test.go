package cluster

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/vigilbot/vigil/alerts"
)

// generatedStory is a synthetic report with the event it belongs to.
type generatedStory struct {
	story alerts.Story
	event int
}

// syllables build pseudo place and person names, so that generated events
// have distinct names as real ones do.
var syllables = []string{"ka", "ro", "vi", "len", "tor", "mi", "sa", "dun", "bel", "ar", "os", "ki", "ne", "ga", "lu", "zor", "pe", "tam", "ri", "vo"}

func pseudoName(r *rand.Rand) string {
	n := 3 + r.IntN(2)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(syllables[r.IntN(len(syllables))])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// eventKinds are templates of what happened; each slot has paraphrases that
// outlets pick from.
var eventKinds = []struct {
	verbs   []string
	objects []string
}{
	{[]string{"strikes", "hits", "pounds"}, []string{"fuel depot", "power plant", "rail hub", "airfield"}},
	{[]string{"arrests", "detains"}, []string{"opposition leader", "journalist", "suspected spies", "former minister"}},
	{[]string{"hacked", "breached", "compromised"}, []string{"water utility", "hospital network", "ministry email", "port systems"}},
	{[]string{"explosion at", "blast at"}, []string{"chemical plant", "ammunition depot", "gas pipeline", "market"}},
	{[]string{"expels", "orders out"}, []string{"diplomats", "ambassador", "envoy"}},
	{[]string{"floods hit", "storm batters"}, []string{"coastal towns", "northern province", "capital region"}},
}

// fillers are the sentences any report may carry whatever the event.
var fillers = []string{
	"Officials gave no further details.", "Investigators were at the scene.", "The ministry did not respond to a request for comment.",
	"It was not immediately clear who was responsible.", "Local media showed images of the aftermath.", "Talks on the issue are due next week.",
	"The incident follows weeks of rising tension.", "Emergency services said the situation was under control.", "Residents were told to stay indoors.",
	"A spokesperson said more information would follow.", "Markets were little changed.", "The United Nations called for restraint.",
}

var outlets = []string{"reuters", "apnews", "bbc", "aljazeera", "guardian", "dw", "france24", "kyivindependent", "therecord", "err"}

// generateStories makes n stories: about n/5 events each reported by 1 to
// 10 outlets with paraphrase noise, spread over four days, in time order.
func generateStories(n int, seed uint64) []generatedStory {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var out []generatedStory
	for ev := 0; len(out) < n; ev++ {
		kind := eventKinds[r.IntN(len(eventKinds))]
		actor, place, person := pseudoName(r), pseudoName(r), pseudoName(r)
		object := kind.objects[r.IntN(len(kind.objects))]
		count := 3 + r.IntN(200)
		at := start.Add(time.Duration(r.Int64N(int64(96 * time.Hour))))
		reports := 1 + r.IntN(10)
		for k := 0; k < reports && len(out) < n; k++ {
			verb := kind.verbs[r.IntN(len(kind.verbs))]
			rounded := count + r.IntN(count/5+1) // outlets round and update figures
			title := fmt.Sprintf("%s %s %s in %s", actor, verb, object, place)
			if r.IntN(3) == 0 {
				title = fmt.Sprintf("%s: %s %s %s", place, actor, verb, object)
			}
			day := []string{"Monday", "Tuesday", "Wednesday"}[r.IntN(3)]
			var lead string
			switch r.IntN(3) {
			case 0:
				lead = fmt.Sprintf("%s %s a %s in %s on %s, %s said, with %d people affected.", actor, verb, object, place, day, person, rounded)
			case 1:
				lead = fmt.Sprintf("%s said %s %s the %s in %s, affecting about %d people.", person, actor, verb, object, place, rounded)
			default:
				lead = fmt.Sprintf("In %s, %s %s a %s on %s; %d people were affected, according to %s.", place, actor, verb, object, day, rounded, person)
			}
			words := strings.Fields(lead)
			if r.IntN(2) == 0 && len(words) > 8 { // paraphrase noise: drop a word
				i := 1 + r.IntN(len(words)-2)
				words = append(words[:i], words[i+1:]...)
			}
			text := strings.Join(words, " ") + " " + fillers[r.IntN(len(fillers))] + " " + fillers[r.IntN(len(fillers))]
			outlet := outlets[r.IntN(len(outlets))]
			published := at.Add(time.Duration(r.Int64N(int64(6 * time.Hour))))
			out = append(out, generatedStory{event: ev, story: alerts.Story{
				ID:        fmt.Sprintf("%s-%d-%d", outlet, ev, k),
				FeedURL:   "https://" + outlet + ".example/rss",
				Source:    outlet,
				Title:     title,
				Text:      text,
				URL:       fmt.Sprintf("https://%s.example/news/%d-%d", outlet, ev, k),
				Published: published,
				FirstSeen: published.Add(time.Duration(r.IntN(600)) * time.Second),
			}})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].story.Published.Before(out[j].story.Published) })
	return out
}
