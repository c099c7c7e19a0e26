package geo

import (
	"slices"
	"testing"
)

// TestTagTellsFocusFromMentions pins the roles that make a name a mention
// and not the story's focus, on the kinds of sentence that misrouted
// stories before focus existed.
func TestTagTellsFocusFromMentions(t *testing.T) {
	tg := newTagger(t)
	tests := []struct {
		name, title, text string
		focus             []string // exactly, most salient first
		alsoMentions      []string // in Mentions, not in focus
	}{
		{
			name:  "a speculative buyer is a mention",
			title: "Niger junta seizes uranium stock as French firm exits Arlit mine",
			text: "Niger's military government said it had taken control of uranium stocks at the Arlit mine after the French operator withdrew its staff, " +
				"deepening a rift between Niamey and Paris. Analysts said the move could open the door to Russian or Iranian buyers.",
			focus:        []string{"NE", "FR"},
			alsoMentions: []string{"RU", "IR"},
		},
		{
			name:  "X-speaking describes a gang, not where the attack is",
			title: "Ransomware attack forces German hospital group to divert ambulances",
			text: "A ransomware attack has knocked out patient records at a hospital group in North Rhine-Westphalia, forcing three emergency departments to divert ambulances. " +
				"A ransom note seen by staff referred to a known Russian-speaking gang.",
			focus:        []string{"DE"},
			alsoMentions: []string{"RU"},
		},
		{
			name:  "an owner's nationality and a monitoring agency are mentions",
			title: "Houthi missile strikes tanker in the Red Sea off Hodeidah",
			text: "A Greek-owned oil tanker was hit by an anti-ship missile in the Red Sea about 60 nautical miles west of Hodeidah, the UK Maritime Trade Operations agency said. " +
				"Yemen's Houthi movement claimed the attack.",
			focus:        []string{"YE"},
			alsoMentions: []string{"GR", "GB"},
		},
		{
			name:  "a demonym in a force's name is a mention",
			title: "Militants attack army convoy near Timbuktu",
			text: "Jihadist fighters ambushed a Malian army convoy escorted by Russian Africa Corps troops near Timbuktu, killing at least 14 soldiers, security sources said. " +
				"The attack is the deadliest in northern Mali this year.",
			focus:        []string{"ML"},
			alsoMentions: []string{"RU"},
		},
		{
			name:  "the reporter's city is a mention when the story is about elsewhere",
			title: "NATO to send more troops to the Baltic states",
			text: "BRUSSELS (Reuters) - NATO will deploy more troops to Estonia, Latvia and Lithuania, officials said on Wednesday. " +
				"The battalions in Estonia, Latvia and Lithuania will be scalable to brigades, Estonia's defence minister said.",
			focus:        []string{"EE", "LT", "LV"}, // named together in the title: a tie, in code order
			alsoMentions: []string{"BE"},
		},
		{
			name:  "a dateline named again is the focus",
			title: "Strikes hit power plants overnight",
			text:  "KYIV, Ukraine (AP) — Missiles struck two power plants overnight, Ukraine's energy ministry said, cutting power to thousands of homes.",
			focus: []string{"UA"},
		},
		{
			name:  "a dateline that is the only place is the focus",
			title: "Exports rise for a third month",
			text:  "TOKYO, March 3 - The finance ministry said exports rose 4.1 percent in February from a year earlier, led by cars and machinery.",
			focus: []string{"JP"},
		},
		{
			name:  "a state after a dateline's city puts the city in the United States",
			title: "Bank earnings rise",
			text:  "FLORENCE, Ala., March 3 - First Florence Bancorp said fourth-quarter net income rose 12 percent on higher lending.",
			focus: []string{"US"},
		},
		{
			name:  "a state abbreviation with dots after a dateline's city",
			title: "Exchange lists new futures",
			text:  "ATHENS, Ga., March 3 - A grain cooperative said it would list soybean futures on a regional exchange next month.",
			focus: []string{"US"},
		},
		{
			name:  "a dateline city without a state keeps its own country",
			title: "Tourism revenue falls",
			text:  "FLORENCE, March 3 - The city's hotels reported a fall in bookings for the spring, the local tourism office said.",
			focus: []string{"IT"},
		},
		{
			name:  "a currency is a mention",
			title: "Bank issues bond",
			text: "Britain's Barclays said on Monday it had issued a 200 million Swiss franc bond through its London desk. " +
				"The bank's shares rose in London trading.",
			focus:        []string{"GB"},
			alsoMentions: []string{"CH"},
		},
		{
			name:  "a university's city is a mention",
			title: "Greenland ice sheet lost record mass, study finds",
			text: "Researchers at the University of Montreal said the Greenland ice sheet lost more ice last summer than in any year on record. " +
				"Melt on Greenland's west coast was the fastest.",
			focus:        []string{"GL"},
			alsoMentions: []string{"CA"},
		},
		{
			name:  "a language is a mention",
			title: "Governor resigns in Puerto Rico",
			text: "Puerto Rico's governor resigned on Wednesday in a video address, speaking in the Spanish language to the island. " +
				"Protesters in San Juan celebrated.",
			focus:        []string{"PR"},
			alsoMentions: []string{"ES"},
		},
		{
			name:  "a currency in a headline in capitals is a mention",
			title: "SCOTIA MORTGAGE ISSUES 100 MLN CANADIAN DLR BOND",
			text: "LONDON, March 3 - Scotia Mortgage Corp is issuing a 100 mln Canadian dlr eurobond due April 9, 1992, lead manager Wood Gundy Ltd said. " +
				"The bond will be listed in Luxembourg.",
			focus:        []string{"GB"},
			alsoMentions: []string{"CA", "LU"},
		},
		{
			name:  "an abbreviation in a dateline's city keeps the dateline whole",
			title: "Milton Roy sets quarterly dividend",
			text:  "ST. PETERSBURG, Fla., April 7 - Milton Roy Co said its board declared a quarterly dividend of 11 cts a share, payable June 15.",
			focus: []string{"US"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tg.Tag(tt.title, tt.text)
			checkTags(t, tg, got)
			if !slices.Equal(got.Countries, tt.focus) {
				t.Errorf("focus = %v, want %v", got.Countries, tt.focus)
			}
			for _, c := range tt.alsoMentions {
				if slices.Contains(got.Countries, c) || !slices.Contains(got.Mentions, c) {
					t.Errorf("%s: focus %v, mentions %v; want it mentioned only", c, got.Countries, got.Mentions)
				}
			}
		})
	}
}

// TestContextSaysWhatANameDoes pins the words around a name that the focus
// model reads as the name acting, standing where something happens, or
// being the other side of a relation.
func TestContextSaysWhatANameDoes(t *testing.T) {
	tests := []struct {
		name, text string
		want       uint16
	}{
		{"a country that speaks acts", "Japan said on Monday it would cut tariffs.", ctxActor},
		{"a possessive acts", "Japan's exports rose in March.", ctxActor},
		{"a place after in is where it happens", "A blast in Japan killed three.", ctxIn},
		{"a place after to is the other side", "Exports to Japan rose in March.", ctxPartner},
		{"a place after with is the other side", "Talks with Japan resume next week.", ctxPartner},
		{"a name alone does nothing", "Japan.", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks := tokenize(tt.text, nil, nil)
			i := slices.IndexFunc(toks, func(tk token) bool { return tt.text[tk.start:tk.end] == "Japan" })
			if got := context(tt.text, toks, i, i); got != tt.want {
				t.Errorf("context = %b, want %b", got, tt.want)
			}
		})
	}
}

// TestWeighCountsEvidence pins what the scan's mentions add to each
// country's evidence, which the focus model reads.
func TestWeighCountsEvidence(t *testing.T) {
	tg := newTagger(t)
	title := "Rubber producers welcome new pact"
	text := "KUALA LUMPUR, March 25 - Officials in Malaysia, Indonesia and Thailand said the new pact would stabilise prices. " +
		"Traders in Singapore were unhappy with it. Dealers said demand from tyre makers had weakened over the winter, " +
		"stocks at the ports were high and buyers held back, and prices fell in Japan."
	s := new(scan)
	tg.scanSegment(s, title, segTitle, 0)
	tg.scanSegment(s, text, segText, int32(len(title))+1)
	s.prepare(len(tg.countries) + len(tg.regions))
	t.Cleanup(s.release)
	story := tg.weigh(s)
	if story.datelines != 1 {
		t.Errorf("%d countries in the dateline, want 1", story.datelines)
	}
	tests := []struct {
		code string
		want evidence
	}{
		{"MY", evidence{dateline: 1, lead: 1, listed: 1, in: 1, total: 2}},
		{"ID", evidence{lead: 1, listed: 1, total: 1}},
		{"TH", evidence{lead: 1, listed: 1, actor: 1, partner: 1, total: 1}},
		{"SG", evidence{body: 1, in: 1, total: 1}},
		{"JP", evidence{late: 1, in: 1, total: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := s.evidence[tg.byCode[tt.code]]; got != tt.want {
				t.Errorf("evidence = %+v, want %+v", got, tt.want)
			}
		})
	}
}
