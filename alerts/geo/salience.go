package geo

import (
	"cmp"
	"slices"
	"strings"
)

// A story names many places and is about few. Every name found is a
// mention; the focus is decided from where the names stand and what they do
// there, the way an editor labelling wire copy decides it:
//
//   - A name in the title or the lead sentence says what the story is about;
//     one in the body counts less, and less again the further down it is.
//   - A name that recurs is more salient than one said once.
//   - Some names only describe something else and count for little: a
//     demonym that is part of an organisation's name ("the UK Maritime Trade
//     Operations agency", "Russian Africa Corps troops"), a compound
//     modifier ("a Greek-owned tanker", "a Russian-speaking gang",
//     "Iranian-made drones"), an outlet or a mission ("Russian state media",
//     "the US embassy"), and a name in a speculative clause ("could open the
//     door to Russian or Iranian buyers").
//   - A dateline is where the reporter stands (BRUSSELS for a NATO story): it
//     counts only when the story names the place again, or names nowhere
//     else.
//
// Each place's salience is the sum of what its mentions weigh by where they
// stand (weights below); it orders the focus and the mentions. Whether a
// country is in the focus is decided from its evidence, salience relative
// to the top country's among it, by a model fitted on the training split of
// a newswire corpus whose editors listed the countries each story is about
// (focusmodel.go). A region named in the text is in the focus when its
// salience is at least a share of the most salient place's and above a
// floor. Vigil's own labelled stories check both (testdata/focus/README.md):
// tuning on the split the figures are quoted on would overstate them.
var weights = salienceWeights{
	title: 1.5, lead: 1.5, body: 1.0, late: 0.4, dateline: 5, datelineAlone: 3,
	weakRole: 0.1, share: 0.25, floor: 1.5, datelineShare: 0.2,
}

// salienceWeights are what a mention of a place adds to its salience, by
// where it stands, and what a place needs to be in the focus.
type salienceWeights struct {
	title, lead, body float32
	late              float32 // in the last half of the text
	// dateline counts a place in the dateline that the story names again
	// or that is the only place it names; datelineAlone one that is neither.
	dateline, datelineAlone float32
	// weakRole scales a name that only describes something else.
	weakRole float32
	// share is the share of the top place's salience a region named in the
	// text needs to be in the focus, and floor the least salience it needs
	// at all.
	share, floor float32
	// datelineShare replaces share for a region named only in the dateline:
	// the reporter's city is the story's place unless the story is plainly
	// about somewhere else.
	datelineShare float32
}

// mention is one place name found in a story.
type mention struct {
	target  int32 // country index, or region index plus the number of countries
	at, end int32 // byte offsets in the story, title first
	where   uint16
}

// Where a mention stands and the role its name plays.
const (
	inTitle uint16 = 1 << iota
	inLead
	inLate
	inDateline
	// atStart marks a name that opens the title or the lead sentence: what
	// the sentence is about ("Japan said...", "The Soviet Union will...").
	atStart
	// Weak roles: the name describes something else.
	roleCompound    // "Greek-owned", "Russian-speaking"
	roleName        // "UK Maritime Trade Operations", "Russian Africa Corps"
	roleOutlet      // "Russian state media", "the US embassy"
	roleSpeculative // "could sell to Iranian buyers"
	roleCurrency    // "a Swiss franc bond", "Australian dollar"

	weakRoles = roleCompound | roleName | roleOutlet | roleSpeculative | roleCurrency

	// What the words around a name say it does in its sentence.
	ctxActor   uint16 = 1 << iota // "Japan said", "Japan's", "Japan will"
	ctxIn                         // "in Japan", "near Kyiv": where something happens
	ctxPartner                    // "exports to Japan", "talks with Japan": the other side
)

// weight is how much one mention says about what the story is about.
func (m mention) weight() float32 {
	var w float32
	switch {
	case m.where&inTitle != 0:
		w = weights.title
	case m.where&inDateline != 0:
		w = weights.dateline
	case m.where&inLead != 0:
		w = weights.lead
	case m.where&inLate != 0:
		w = weights.late
	default:
		w = weights.body
	}
	if m.where&weakRoles != 0 {
		w *= weights.weakRole
	}
	return w
}

// positions knows where a segment's lead sentence and dateline end.
type positions struct {
	kind        int
	leadEnd     int // byte offset where the lead sentence ends
	datelineEnd int // tokens of the dateline, 0 for none
	half        int // byte offset of the middle of the segment
}

// maxDatelineWords bounds a dateline: "RIO DE JANEIRO, March 3 -".
const maxDatelineWords = 4

func newPositions(seg string, toks []token, kind int, allCaps bool) positions {
	p := positions{kind: kind, leadEnd: len(seg), half: len(seg) / 2}
	if kind == segTitle {
		return p
	}
	// A dateline is a place in capitals opening the text, then a comma,
	// a parenthesis or a dash: "TOKYO, March 3 -", "KYIV, Ukraine (AP) —".
	if !allCaps {
		for k := 0; k < len(toks) && k < maxDatelineWords; k++ {
			if toks[k].class() != classUpper || toks[k].end-toks[k].start < 2 {
				break
			}
			if k+1 == len(toks) {
				break
			}
			sep := seg[toks[k].end:toks[k+1].start]
			if strings.ContainsAny(sep, ",(—–") || strings.Contains(sep, " -") {
				p.datelineEnd = k + 1
				break
			}
			// "ST. PETERSBURG, Fla.": an abbreviation's full stop is part
			// of the city's name.
			if sep != " " && !(sep == ". " && toks[k].end-toks[k].start <= maxAbbrevLen) {
				break
			}
		}
	}
	for k := p.datelineEnd; k+1 < len(toks); k++ {
		if endsSentence(seg, toks[k], toks[k+1]) && k-p.datelineEnd >= minLeadWords {
			p.leadEnd = toks[k].end
			break
		}
	}
	return p
}

// minLeadWords keeps "Mr. Smith" or a short heading from ending the lead.
const minLeadWords = 6

// endsSentence reports whether a sentence ends between two words.
func endsSentence(seg string, prev, next token) bool {
	sep := seg[prev.end:next.start]
	if strings.ContainsAny(sep, "\n!?") {
		return true
	}
	if !strings.Contains(sep, ".") || prev.end-prev.start <= maxAbbrevLen {
		return false
	}
	return next.flags&firstUpper != 0 || next.flags&(hasUpper|hasLower) == 0
}

// of says where toks[i:end+1] stands.
func (p positions) of(seg string, toks []token, i, end int) uint16 {
	if p.kind == segTitle {
		return inTitle | opens(seg, toks, 0, i)
	}
	var w uint16
	switch {
	case i < p.datelineEnd:
		w = inDateline
	case toks[i].start < p.leadEnd:
		w = inLead | opens(seg, toks, p.datelineEnd, i)
	case toks[i].start >= p.half:
		w = inLate
	}
	return w
}

// opens returns atStart when toks[i] is the first word of the sentence
// starting at toks[from], or follows only an article: "The Soviet Union".
func opens(seg string, toks []token, from, i int) uint16 {
	if i == from || i == from+1 && articles.has(&toks[from], seg[toks[from].start:toks[from].end]) {
		return atStart
	}
	return 0
}

var articles = newWordSet("The", "the", "THE", "A", "An")

// role says whether the name at toks[i:end+1] only describes something
// else (see weakRoles), from the words around it.
func (t *Tagger) role(seg string, toks []token, i, end int, allCaps, titleCase bool) uint16 {
	r := context(seg, toks, i, end)
	if end+1 < len(toks) {
		next := &toks[end+1]
		sep := seg[toks[end].end:next.start]
		word := seg[next.start:next.end]
		switch {
		// A headline in capitals still says "CANADIAN DLR BOND" and
		// "GREEK-OWNED", but its capitals say nothing about names.
		case allCaps && (sep == "-" && compoundWords.hasLower(next, word) ||
			sep == " " && (outletWords.hasLower(next, word) || currencyWords.hasLower(next, word))):
			return roleCompound
		case allCaps:
			return r
		case sep == "-" && compoundWords.hasLower(next, word):
			r |= roleCompound
		case sep == " " && outletWords.hasLower(next, word):
			r |= roleOutlet
		case sep == " " && currencyWords.hasLower(next, word):
			r |= roleCurrency
		case sep == " " && languageWords.hasLower(next, word):
			r |= roleCompound
		case sep == " " && !titleCase && next.nameLike() && !officeWords.has(next, word) && !t.nonPersonNext.has(next, word):
			r |= roleName
		}
	}
	if institutionBefore(seg, toks, i, titleCase) {
		r |= roleName
	}
	for k := i - 1; k >= 0 && k >= i-maxModalDistance; k-- {
		// Most words are apart by one space, which ends no clause.
		if from, to := toks[k].end, toks[k+1].start; (to-from != 1 || seg[from] != ' ') && endsClause(seg[from:to]) {
			break
		}
		if modalWords.has(&toks[k], seg[toks[k].start:toks[k].end]) {
			r |= roleSpeculative
			break
		}
	}
	return r
}

// context says what the words next to the name at toks[i:end+1] say it
// does: see ctxActor, ctxIn, ctxPartner.
func context(seg string, toks []token, i, end int) uint16 {
	var r uint16
	if end+1 < len(toks) {
		next := &toks[end+1]
		sep := seg[toks[end].end:next.start]
		word := seg[next.start:next.end]
		if sep == " " && actorWords.has(next, word) || word == "s" && (sep == "'" || sep == "’") {
			r |= ctxActor
		}
	}
	if i > 0 && seg[toks[i-1].end:toks[i].start] == " " {
		prev := &toks[i-1]
		switch word := seg[prev.start:prev.end]; {
		case inWords.has(prev, word):
			r |= ctxIn
		case partnerWords.has(prev, word):
			r |= ctxPartner
		}
	}
	return r
}

var (
	// actorWords after a name make it act: "Japan said", "Japan will".
	actorWords = newWordSet("said", "says", "say", "will", "would", "has", "have", "had", "is", "was",
		"announced", "agreed", "plans", "wants", "accused", "rejected", "denied", "warned")
	// inWords before a name make it where something happens.
	inWords = newWordSet("in", "at", "near", "across", "throughout", "inside", "In", "At")
	// partnerWords before a name make it the other side of a relation.
	partnerWords = newWordSet("to", "from", "with", "between", "against", "by", "and", "than")
)

// institutionBefore reports whether the name at toks[i] ends an
// institution's name: "University of Montreal", "University College
// London", "the Museum of Cairo". A university is where research is done,
// not what the story is about.
func institutionBefore(seg string, toks []token, i int, titleCase bool) bool {
	k := i - 1
	if k >= 0 && seg[toks[k].end:toks[k+1].start] == " " && seg[toks[k].start:toks[k].end] == "of" {
		k--
	}
	for ; k >= 0 && k >= i-3; k-- {
		if seg[toks[k].end:toks[k+1].start] != " " || !toks[k].nameLike() {
			return false
		}
		if institutionWords.has(&toks[k], seg[toks[k].start:toks[k].end]) {
			return !titleCase || k > 0 && !toks[k-1].nameLike()
		}
	}
	return false
}

// maxModalDistance is how many words before a name a modal verb still makes
// it speculative: "could open the door to Russian".
const maxModalDistance = 6

// endsClause reports whether a separator between two words ends a clause.
// It reads bytes: every character it looks for is ASCII, and no byte of a
// multi-byte character is one.
func endsClause(sep string) bool {
	for i := 0; i < len(sep); i++ {
		switch sep[i] {
		case '.', ';', ':', '!', '?', '\n':
			return true
		}
	}
	return false
}

var (
	// compoundWords make "X-word" describe something else: "Greek-owned".
	compoundWords = newWordSet("owned", "flagged", "registered", "speaking", "made", "built", "based",
		"born", "manufactured", "designed", "produced", "operated", "listed", "educated", "trained",
		"headquartered", "language", "style", "type", "class")
	// outletWords after a name make it an outlet, a mission or a flag:
	// "Russian state media", "the US embassy", "under the Panamanian flag".
	outletWords = newWordSet("media", "agency", "newspaper", "daily", "broadcaster", "television", "tv",
		"outlet", "press", "newswire", "wire", "website", "embassy", "consulate", "flag", "registry",
		"news", "state-run", "state-owned", "channel", "radio", "tabloid", "magazine")
	// currencyWords after a demonym make it a currency, which says how a
	// deal is priced, not where it happens: "a Swiss franc bond".
	currencyWords = newWordSet("dollar", "dollars", "dlr", "dlrs", "franc", "francs", "mark", "marks",
		"pound", "pounds", "sterling", "peso", "pesos", "rupee", "rupees", "rouble", "roubles",
		"ruble", "rubles", "lira", "krona", "kronor", "krone", "kroner", "crown", "crowns", "rand",
		"real", "yuan", "won", "ringgit", "baht", "rupiah", "shekel", "shekels", "riyal", "riyals",
		"dinar", "dinars", "currency", "bonds", "eurobond", "eurobonds")
	// languageWords after a demonym make it a language or its speakers:
	// "Spanish language", "French speakers".
	languageWords = newWordSet("language", "languages", "speakers", "speaker", "translation", "dialect")
	// institutionWords head the names of places of learning and culture,
	// which name the city they stand in.
	institutionWords = newWordSet("University", "College", "Institute", "Institution", "Academy",
		"School", "Museum", "Observatory", "Conservatory", "Polytechnic")
	// officeWords after a demonym or a country are the state acting, not
	// an organisation named after it: "Russian President", "US Navy".
	officeWords = newWordSet("President", "Prime", "Premier", "Foreign", "Defence", "Defense", "Interior",
		"Finance", "Economy", "Trade", "Minister", "Ministry", "Ministers", "King", "Queen", "Prince",
		"Princess", "Crown", "Emperor", "Chancellor", "Ambassador", "Envoy", "Army", "Navy", "Air",
		"Armed", "Military", "Government", "Parliament", "Senate", "Congress", "Supreme", "Cabinet",
		"Coast", "Special", "Deputy", "Vice", "Secretary", "General", "Gen", "Admiral", "Border",
		"National", "State", "Treasury", "Justice", "Energy", "Agriculture", "Health", "Foreign",
		"Marines", "Marine", "Forces", "Troops", "Police", "Government's", "Central", "Federal",
		"Republic", "People's", "Communist", "Labour", "Labor", "Opposition", "Constitutional",
		"High", "Court", "Election", "Electoral", "Interim", "Transitional", "Junta", "Junior",
		"Legislative", "Parliamentary", "Presidential", "Royal", "Grand", "Chief", "Commander",
		"Intelligence", "Security", "Defence's", "Navy's", "Army's")
	// modalWords make what follows speculative.
	modalWords = newWordSet("could", "might", "may", "would")
)

// collect scores what a scan found and turns it into tags: focus places by
// salience, then every place mentioned. It visits only the places the story
// touches, so its cost follows the story, not the gazetteer.
func (t *Tagger) collect(s *scan) Tags {
	nc, n := len(t.countries), len(t.countries)+len(t.regions)
	s.prepare(n)
	defer s.release()

	story := t.weigh(s)
	for _, target := range s.touched {
		if int(target) < nc {
			s.focus[target] = focus.decide(s.features(target, story))
			continue
		}
		// Regions named in the text are measured against the most salient
		// place of either kind: a story that names NATO ten times is
		// still about the countries it names most.
		share := weights.share
		if s.lone[target] {
			share = weights.datelineShare
		}
		if s.score[target] >= max(story.top*share, weights.floor) {
			s.focus[target] = true
		}
	}
	// Regions follow their places: a focus country brings its regions into
	// the focus, a mentioned one into the mentions; a named region brings
	// the regions that contain it. A bloc is a mention unless named: a story
	// about a member state is not about its alliance. bring appends to touched, so the loop
	// reads only the places touched so far.
	for _, target := range s.touched[:len(s.touched):len(s.touched)] {
		if int(target) < nc {
			for _, ri := range t.memberOf[target] {
				if t.regions[ri].bloc {
					s.mention(target, int32(nc+ri))
				} else {
					s.bring(target, int32(nc+ri))
				}
			}
		}
	}
	for k := 0; k < len(s.touched); k++ {
		target := s.touched[k]
		if s.named[target] {
			named := &t.regions[int(target)-nc]
			for _, up := range t.implies[int(target)-nc] {
				if t.regions[up].bloc && !slices.Contains(named.partOf, up) {
					s.mention(target, int32(nc+up))
				} else {
					s.bring(target, int32(nc+up))
				}
			}
		}
	}
	// The four lists share one array, allocated once: each is cut off at
	// its length, so that appending to one cannot write into the next.
	codes := len(s.touched)
	for _, target := range s.touched {
		if s.focus[target] {
			codes++
		}
	}
	buf := make([]string, 0, codes)
	var tags Tags
	tags.Countries, buf = s.list(t, buf, 0, nc, true)
	tags.Regions, buf = s.list(t, buf, nc, n, true)
	tags.Mentions, buf = s.list(t, buf, 0, nc, false)
	tags.MentionRegions, _ = s.list(t, buf, nc, n, false)
	return tags
}

// storyEvidence is what the focus decision needs to know about the whole
// story beside one place's own mentions.
type storyEvidence struct {
	top, topCountry float32 // the highest salience of any place, of a country
	countryMentions int     // mentions of countries, all told
	firstCountryAt  int32   // offset of the first country named
	datelines       int     // countries in the dateline
}

// weigh adds up each place's salience and evidence from the mentions the
// scan collected, in one pass over them (two with a dateline).
func (t *Tagger) weigh(s *scan) storyEvidence {
	nc := int32(len(t.countries))
	// A dateline counts only with evidence: the place named again, or no
	// other place named at all.
	var dateline, other int
	for _, m := range s.mentions {
		if m.where&inDateline != 0 {
			dateline++
		} else {
			other++
		}
	}
	for k, m := range s.mentions {
		w := m.weight()
		listed := k > 0 && nextTo(s.mentions[k-1], m) || k+1 < len(s.mentions) && nextTo(m, s.mentions[k+1])
		s.credit(m.target, m.at, w)
		s.evidence[m.target].add(m.where, listed)
		if m.target >= nc {
			ri := m.target - nc
			s.named[m.target] = true
			if t.regions[ri].tagMembers {
				for _, ci := range t.regions[ri].countries {
					s.credit(int32(ci), m.at, w)
					s.evidence[ci].add(m.where, listed)
				}
			}
		}
	}
	if dateline > 0 && other > 0 {
		for _, m := range s.mentions {
			if m.where&inDateline == 0 || s.namedElsewhere(m.target) {
				continue
			}
			if t.seatOfNamed(s, m.target) {
				// The reporter is there for the organisation: "BRUSSELS —
				// NATO allies agreed..." is not about Belgium.
				s.score[m.target] -= m.weight()
				s.evidence[m.target].dateline = 0
				continue
			}
			s.score[m.target] += weights.datelineAlone - m.weight()
			s.lone[m.target] = true
		}
	}

	story := storyEvidence{firstCountryAt: -1}
	for _, target := range s.touched {
		sc := s.score[target]
		story.top = max(story.top, sc)
		if target >= nc {
			continue
		}
		ev := &s.evidence[target]
		story.topCountry = max(story.topCountry, sc)
		story.countryMentions += int(ev.total)
		if ev.dateline > 0 {
			story.datelines++
		}
		if f := s.first[target]; story.firstCountryAt < 0 || f < story.firstCountryAt {
			story.firstCountryAt = f
		}
	}
	return story
}

// maxListGap is the most bytes between two place names that make them one
// list or pair: ", " in "Japan, South Korea", " and ", "-" in "U.S.-Japan".
const maxListGap = len(" and ")

// nextTo reports whether b, the mention after a, names another place right
// after it, in the same part of the story.
func nextTo(a, b mention) bool {
	return a.target != b.target && b.at >= a.end && int(b.at-a.end) <= maxListGap &&
		a.where&inTitle == b.where&inTitle
}

// evidence counts a place's mentions by where they stand.
type evidence struct {
	// title, lead, body and late count the mentions in no weak role;
	// weak those in one, wherever they stand; dateline the dateline's.
	title, lead, body, late, weak, dateline int32
	// listed counts the mentions next to another place's name: "Japan,
	// South Korea and Taiwan".
	listed int32
	// actor, in and partner count the mentions with ctxActor, ctxIn and
	// ctxPartner.
	actor, in, partner int32
	total              int32
	// opens says a mention in no weak role opens the title or the lead.
	opens bool
}

func (e *evidence) add(where uint16, listed bool) {
	e.total++
	if listed {
		e.listed++
	}
	if where&ctxActor != 0 {
		e.actor++
	}
	if where&ctxIn != 0 {
		e.in++
	}
	if where&ctxPartner != 0 {
		e.partner++
	}
	switch {
	case where&inDateline != 0:
		e.dateline++
		return
	case where&weakRoles != 0:
		e.weak++
		return
	case where&inTitle != 0:
		e.title++
	case where&inLead != 0:
		e.lead++
	case where&inLate != 0:
		e.late++
	default:
		e.body++
	}
	if where&atStart != 0 {
		e.opens = true
	}
}

// prepare sizes the per-place arrays for n places. They are all zero (and
// first all -1) between calls: release resets only what a call touched.
func (s *scan) prepare(n int) {
	if len(s.score) == n {
		return
	}
	s.score = make([]float32, n)
	s.first = make([]int32, n)
	for i := range s.first {
		s.first[i] = -1
	}
	s.evidence = make([]evidence, n)
	s.named = make([]bool, n)
	s.lone = make([]bool, n)
	s.focus = make([]bool, n)
	s.all = make([]bool, n)
	s.touched = s.touched[:0]
}

func (s *scan) release() {
	for _, target := range s.touched {
		s.score[target], s.first[target], s.evidence[target] = 0, -1, evidence{}
		s.named[target], s.lone[target], s.focus[target], s.all[target] = false, false, false, false
	}
	s.touched = s.touched[:0]
}

// touch records that the story reaches target.
func (s *scan) touch(target int32) {
	if !s.all[target] {
		s.all[target] = true
		s.touched = append(s.touched, target)
	}
}

func (s *scan) credit(target, at int32, w float32) {
	s.touch(target)
	s.score[target] += w
	if s.first[target] < 0 || at < s.first[target] {
		s.first[target] = at
	}
}

// mention makes to mentioned where from is, without bringing it into the
// focus.
func (s *scan) mention(from, to int32) {
	s.touch(to)
	if s.first[to] < 0 || s.first[from] >= 0 && s.first[from] < s.first[to] {
		s.first[to] = s.first[from]
	}
}

// bring puts target to where from is: mentioned, and in the focus with
// from's salience when from is.
func (s *scan) bring(from, to int32) {
	s.touch(to)
	if s.first[to] < 0 || s.first[from] >= 0 && s.first[from] < s.first[to] {
		s.first[to] = s.first[from]
	}
	if s.focus[from] {
		s.focus[to] = true
	}
	s.score[to] = max(s.score[to], s.score[from])
}

// seatOfNamed reports whether country is the seat of an organisation the
// story names.
func (t *Tagger) seatOfNamed(s *scan, country int32) bool {
	nc := int32(len(t.countries))
	for _, target := range s.touched {
		if target >= nc && s.named[target] && t.regions[target-nc].seat == int(country) {
			return true
		}
	}
	return false
}

// namedElsewhere reports whether target has a mention outside the dateline.
func (s *scan) namedElsewhere(target int32) bool {
	for _, m := range s.mentions {
		if m.target == target && m.where&inDateline == 0 {
			return true
		}
	}
	return false
}

// list appends to buf the codes or slugs of targets in [from, to) that are
// in the focus (or mentioned, with focus false), most salient first, ties
// in the order the story names them, and returns them (nil for none) and
// buf. The focus comes first among mentions, and of regions as salient as
// each other the narrower.
func (s *scan) list(t *Tagger, buf []string, from, to int, focus bool) ([]string, []string) {
	s.order = s.order[:0]
	for _, target := range s.touched {
		if int(target) >= from && int(target) < to && (!focus || s.focus[target]) {
			s.order = append(s.order, target)
		}
	}
	if len(s.order) == 0 {
		return nil, buf
	}
	slices.SortFunc(s.order, func(a, b int32) int {
		// Each key is compared only on a tie of the ones before: cmp.Or
		// would compare all five, codes as strings, every time.
		if c := cmp.Compare(boolRank(s.focus[a]), boolRank(s.focus[b])); c != 0 {
			return c
		}
		if c := cmp.Compare(s.score[b], s.score[a]); c != 0 {
			return c
		}
		if c := cmp.Compare(t.size(int(a)), t.size(int(b))); c != 0 {
			return c
		}
		if c := cmp.Compare(s.first[a], s.first[b]); c != 0 {
			return c
		}
		return cmp.Compare(t.code(int(a)), t.code(int(b)))
	})
	start := len(buf)
	for _, target := range s.order {
		buf = append(buf, t.code(int(target)))
	}
	return buf[start:len(buf):len(buf)], buf
}

func boolRank(b bool) int {
	if b {
		return 0
	}
	return 1
}

// size is how many countries a target covers, so that of equally salient
// regions the narrower, which says more, comes first.
func (t *Tagger) size(target int) int {
	if target < len(t.countries) {
		return 1
	}
	return len(t.regions[target-len(t.countries)].countries)
}

// code is a target's country code or region slug.
func (t *Tagger) code(target int) string {
	if target < len(t.countries) {
		return t.countries[target].code
	}
	return t.regions[target-len(t.countries)].slug
}
