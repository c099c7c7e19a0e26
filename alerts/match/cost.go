package match

import "strings"

// wordCost estimates the share of news stories that contain a normalised
// word. The index keys each subscription under the words with the lowest
// estimate, so that it is a candidate for as few stories as possible; only
// the order of the estimates matters, not their values.
//
// The estimate needs no corpus: a few hundred function words and
// newsroom staples are in nearly every story, numbers are common, and
// among the remaining words longer ones are rarer (named entities, the
// words people subscribe to, are mostly long).
func wordCost(w string) float64 {
	if c, ok := commonWordCost[w]; ok {
		return c
	}
	if isASCIIDigits([]byte(w)) {
		return 0.1
	}
	// Among other words, longer is rarer; the square sharpens the
	// preference, so "mercenaries" beats "wagner" beats "corps".
	n := float64(len(w))
	return 0.5 / (n * n)
}

// Estimated shares of stories containing the words below, from the
// frequency ranks of English newswire text (function words in nearly every
// story; security-news staples in a third of them).
const (
	functionWordCost = 0.9
	newsWordCost     = 0.3
	topicWordCost    = 0.1
)

// functionWords are English function words and the most frequent verbs.
const functionWords = `a about after again against all also an and any are as at be
been before being between both but by can could did do does during each even for from
had has have he her here him his how i if in into is it its just last like made make
many may more most much must new no not now of on one only or other our out over said
say says she should since so some still such than that the their them then there these
they this those through time to two under up us very was we were what when where which
while who will with would year years you`

// newsWords are words that security and world news use in a large share
// of stories.
const newsWords = `according added attack attacks army border capital city
country countries court defence defense forces foreign government group groups killed
leader military minister ministry national news north official officials people police
president report reported reports security south state states told troops united war
week world`

// topicWords are the subjects of security news: any one is in a tenth of
// stories or so, far more than the named entities people pair them with
// ("Hezbollah drone" should wait for "Hezbollah", not for "drone").
const topicWords = `aid airspace airstrike ammunition arms arrest artillery assassination
attackers bomb bombing breach cable cartel casualties ceasefire civilian civilians
conflict conscription convoy coup crackdown cyber cyberattack data deal dead deaths
deployment detained drill drills drone drones election elections embargo energy
espionage evacuation explosion explosives extremist famine fighter fighters fighting
gas hack hacker hackers hostage hostages humanitarian infrastructure injured insurgent
insurgents intelligence invasion jet jets malware militant militants militia missile
missiles navy nuclear offensive oil outage pipeline piracy port protest protesters
protests raid ransomware rebel rebels refugee refugees rocket rockets sabotage
sanction sanctions satellite shelling ship ships soldier soldiers spy strike strikes
submarine summit surveillance talks tanker terror terrorism terrorist threat treaty
truce uranium vessel violence vote weapon weapons wounded`

var commonWordCost = func() map[string]float64 {
	m := map[string]float64{}
	for _, w := range strings.Fields(topicWords) {
		k, _ := normalizeWord(w)
		m[k] = topicWordCost
	}
	for _, w := range strings.Fields(newsWords) {
		k, _ := normalizeWord(w)
		m[k] = newsWordCost
	}
	for _, w := range strings.Fields(functionWords) {
		k, _ := normalizeWord(w)
		m[k] = functionWordCost
	}
	return m
}()
