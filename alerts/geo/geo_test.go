package geo

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// newTagger returns a Tagger over the built-in gazetteer.
func newTagger(t testing.TB) *Tagger {
	t.Helper()
	tg, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return tg
}

func TestTagResolvesTheClassicTraps(t *testing.T) {
	tg := newTagger(t)
	tests := []struct {
		name  string
		title string
		text  string
		want  []string // countries exactly
	}{
		{"Niger is not Nigeria", "", "Troops in Niger and Nigeria.", []string{"NE", "NG"}},
		{"a Nigerien is from Niger", "", "A Nigerien official said.", []string{"NE"}},
		{"a Nigerian is from Nigeria", "", "A Nigerian official said.", []string{"NG"}},
		{"Niamey is in Niger", "", "Protests in Niamey.", []string{"NE"}},
		{"South Sudan is not also Sudan", "", "Fighting in South Sudan.", []string{"SS"}},
		{"Sudan alone is Sudan", "", "Fighting in Sudan and South Sudan.", []string{"SD", "SS"}},
		{"South Sudanese is South Sudan", "", "South Sudanese forces moved.", []string{"SS"}},
		{"Equatorial Guinea is not Guinea", "", "Oil in Equatorial Guinea.", []string{"GQ"}},
		{"Guinea-Bissau is not Guinea", "", "A coup in Guinea-Bissau.", []string{"GW"}},
		{"Papua New Guinea is not Guinea", "", "Quake in Papua New Guinea.", []string{"PG"}},
		{"Guinea alone is Guinea", "", "Elections in Guinea.", []string{"GN"}},
		{"a guinea pig is not Guinea", "", "The guinea pig escaped.", nil},
		{"DRC is the Democratic Republic of the Congo", "", "DRC troops fought M23.", []string{"CD"}},
		{"the long name is CD without tagging CG", "", "The Democratic Republic of the Congo said.", []string{"CD"}},
		{"Kinshasa is CD", "", "Officials in Kinshasa said.", []string{"CD"}},
		{"Republic of the Congo is CG", "", "The Republic of the Congo held a vote.", []string{"CG"}},
		{"Congo-Brazzaville is CG", "", "Congo-Brazzaville signed.", []string{"CG"}},
		{"Brazzaville is CG", "", "Talks in Brazzaville.", []string{"CG"}},
		{"bare Congo is CD as news usually means", "", "Rebels in eastern Congo.", []string{"CD"}},
		{"Atlanta, Georgia is the US state", "", "Police in Atlanta, Georgia said.", []string{"US"}},
		{"the Georgia governor is the US state", "", "The Georgia governor signed a bill.", []string{"US"}},
		{"Georgia, U.S. is the US state", "", "A firm based in Georgia, U.S. was hit.", []string{"US"}},
		{"the state of Georgia is the US state", "", "Voters in the state of Georgia.", []string{"US"}},
		{"Tbilisi is Georgia the country", "", "Protesters in Tbilisi.", []string{"GE"}},
		{"the Georgian government is Georgia", "", "The Georgian government said.", []string{"GE"}},
		{"bare Georgia is the country", "", "Russia warned Georgia on Tuesday.", []string{"GE", "RU"}},
		{"Georgia among other US states is the US state", "", "Lawsuits in Georgia, Michigan, Pennsylvania and Wisconsin.", []string{"US"}},
		{"Georgia beside a senator of Florida is the US state", "", "Marco Rubio of Florida and David Perdue of Georgia, both Republicans.", []string{"US"}},
		{"Georgia with Tbilisi stays the country beside US states", "", "Texas and Florida sent aid to Georgia after floods in Tbilisi.", []string{"GE", "US"}},
		{"Georgia with a US city but no state stays the country", "", "Officials in Washington praised Georgia.", []string{"GE", "US"}},
		{"Michael Jordan is a person", "", "Basketball star Michael Jordan retired.", nil},
		{"Jordan Peterson is a person", "", "The author Jordan Peterson spoke.", nil},
		{"a capitalised surname makes Jordan a person", "", "Coach Jordan Smith spoke.", nil},
		{"Amman is Jordan", "", "Talks in Amman.", []string{"JO"}},
		{"Jordanian is Jordan", "", "A Jordanian minister said.", []string{"JO"}},
		{"King Abdullah of Jordan is the country", "", "King Abdullah of Jordan met envoys.", []string{"JO"}},
		{"Jordan's king is the country", "", "Jordan's King Abdullah said.", []string{"JO"}},
		{"Jordan at the start of a sentence is the country", "", "Jordan closed its airspace.", []string{"JO"}},
		{"Jordan in a title-case headline is the country", "Jordan Closes Airspace After Drone Strike", "", []string{"JO"}},
		{"a lower-case turkey is the bird", "", "We ate turkey at Thanksgiving.", nil},
		{"a Thanksgiving Turkey is the bird", "How To Roast A Thanksgiving Turkey", "", nil},
		{"Turkey is the country", "", "Turkey closed the strait.", []string{"TR"}},
		{"Türkiye is Turkey", "", "Türkiye and Turkiye.", []string{"TR"}},
		{"lower-case china is porcelain", "", "She collects fine china and chad ballots.", nil},
		{"China is the country", "", "China responded.", []string{"CN"}},
		{"Chad is the country", "", "Chad expelled diplomats.", []string{"TD"}},
		{"Chad Smith is a person", "", "Drummer Chad Smith played.", nil},
		{"agencies named after a country mention it, others nothing", "", "(AFP) (Reuters) The Canadian Press and Agence France-Presse reported, Al Jazeera said.", []string{"CA", "FR"}},
		{"New Mexico is not Mexico", "", "A lab in New Mexico.", []string{"US"}},
		{"New Jersey is not Jersey", "", "A port in New Jersey.", []string{"US"}},
		{"Jersey is Jersey", "", "Banks in Jersey.", []string{"JE"}},
		{"Indiana is not India", "", "A plant in Indiana.", []string{"US"}},
		{"Dominica is not the Dominican Republic", "", "A storm hit Dominica.", []string{"DM"}},
		{"the Dominican Republic is DO", "", "A storm hit the Dominican Republic.", []string{"DO"}},
		{"American Samoa is not Samoa", "", "Flights to American Samoa.", []string{"AS"}},
		{"Samoa is Samoa", "", "Flights to Samoa.", []string{"WS"}},
		{"the Washington Post is an outlet", "", "The Washington Post reported it.", nil},
		{"Washington is the US", "", "Washington imposed sanctions.", []string{"US"}},
		{"the pronoun us is not the US", "", "Let us know what they told us.", nil},
		{"US in capitals is the US", "", "US and UK officials met.", []string{"GB", "US"}},
		{"U.S. with dots is the US", "", "The U.S. said.", []string{"US"}},
		{"an all-caps headline is read case-insensitively", "RUSSIA STRIKES KHARKIV AS US WARNS CHINA", "", []string{"CN", "RU", "UA", "US"}},
		{"LET US in an all-caps headline is the pronoun", "LET US PRAY FOR PEACE", "", nil},
		{"CAR in an all-caps headline is a car", "CAR BOMB KILLS FIVE", "", nil},
		{"metonyms stand for their state", "", "The Kremlin, the Pentagon, Downing Street, Zhongnanhai and the Elysee reacted.", []string{"CN", "FR", "GB", "RU", "US"}},
		{"places of contested regions", "", "Shelling in Donbas, Crimea and Gaza; strikes on Kaliningrad.", []string{"PS", "RU", "UA"}},
		{"Burma and Ivory Coast are old names", "", "Burma and Ivory Coast.", []string{"CI", "MM"}},
		{"Holland and Britain are common names", "", "Holland beat Great Britain.", []string{"GB", "NL"}},
		{"demonyms and plurals tag countries", "", "Iranians, Afghans and Emiratis met Ukrainians.", []string{"AE", "AF", "IR", "UA"}},
		{"possessives tag countries", "", "Russia's army and Ukraine’s navy.", []string{"RU", "UA"}},
		{"hyphenated pairs tag both", "", "The Russia-Ukraine war.", []string{"RU", "UA"}},
		{"South Georgia is not Georgia", "", "Fishing off South Georgia.", []string{"GS"}},
		{"Northern Ireland is the UK", "", "Riots in Northern Ireland.", []string{"GB"}},
		{"British Columbia is Canada", "", "Fires in British Columbia.", []string{"CA"}},
		{"New South Wales is Australia", "", "Floods in New South Wales.", []string{"AU"}},
		{"Hong Kong is its own code", "", "Protests in Hong Kong.", []string{"HK"}},
		{"Taiwan's Republic of China is not the PRC", "", "The People's Republic of China and the Republic of China.", []string{"CN", "TW"}},
		{"North Korea and South Korea", "", "North Korea fired at South Korea.", []string{"KP", "KR"}},
		{"an all-lower-case text tags nothing capitalised", "", "iran russia china ukraine", nil},
		{"a region named by its countries tags them", "", "Partners in the UK, Canada, Australia and New Zealand.", []string{"AU", "CA", "GB", "NZ"}},
		{"Java is a programming language, not Indonesia", "", "A Java deserialisation flaw.", nil},
		{"Alexandria, Virginia is not Egypt", "", "Charged in Alexandria, Virginia.", []string{"US"}},
		{"George Washington is a person", "", "A statue of George Washington fell.", nil},
		{"Washington on a weekday is the US", "", "Washington Tuesday imposed sanctions.", []string{"US"}},
		{"the Gulf of Mexico is not the Persian Gulf", "", "A storm in the Gulf of Mexico.", []string{"MX", "US"}},
		{"Kashmir is claimed by India and Pakistan", "", "Shelling in Kashmir.", []string{"IN", "PK"}},
		{"a street named after a country is not the country", "", "The match at Wynnum's Grenada Street ground.", nil},
		{"Downing Street is still the UK", "", "Downing Street said on Monday.", []string{"GB"}},
		{"the Hague in a sentence is the Netherlands", "", "A case before the court in the Hague.", []string{"NL"}},
		{"Easter Island is Chile", "", "Statues on Easter Island, or Rapa Nui.", []string{"CL"}},
		{"Voice of America is an American outlet", "", "He told Voice of America on Monday.", []string{"US"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Sorted(slices.Values(tg.Tag(tt.title, tt.text).Mentions))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Tag(%q, %q).Mentions = %v, want %v", tt.title, tt.text, got, tt.want)
			}
		})
	}
}

func TestTagRegions(t *testing.T) {
	tg := newTagger(t)
	tests := []struct {
		name          string
		text          string
		wantCountries []string // exactly
		wantRegions   []string // at least
		notRegions    []string // none of
		mentioned     []string // in MentionRegions at least
	}{
		{"a member country brings its regions and names its blocs", "Tallinn hit by outage.", []string{"EE"},
			[]string{"baltic-states", "europe", "nato-eastern-flank", "northern-europe"}, []string{"baltic-sea", "eastern-europe", "eu", "nato"},
			[]string{"eu", "nato"}},
		{"Poland is on NATO's eastern flank", "Warsaw said.", []string{"PL"},
			[]string{"nato-eastern-flank", "eastern-europe", "central-europe"}, []string{"eu", "nato", "visegrad"},
			[]string{"eu", "nato", "visegrad"}},
		{"the Baltic states tag their members", "The Baltic states met.", []string{"EE", "LT", "LV"},
			[]string{"baltic-states", "northern-europe"}, []string{"eu", "nato"}, []string{"eu", "nato"}},
		{"a bloc named is in the focus", "NATO and the EU met in Tallinn.", []string{"EE"},
			[]string{"nato", "eu", "baltic-states"}, nil, nil},
		{"the Baltics tag their members", "Drills in the Baltics.", []string{"EE", "LT", "LV"}, []string{"baltic-states"}, nil, nil},
		{"a continent tags no countries", "Across Europe and Africa.", nil, []string{"africa", "europe"}, []string{"eu"}, nil},
		{"the Sahel is named without its members", "Jihadists in the Sahel.", nil, []string{"sahel", "africa", "sub-saharan-africa"}, nil, nil},
		{"the Horn of Africa is named", "Drought in the Horn of Africa.", nil, []string{"horn-of-africa", "eastern-africa"}, nil, nil},
		{"Eastern Europe is named", "Troops to Eastern Europe.", nil, []string{"eastern-europe", "europe"}, nil, nil},
		{"NATO's eastern flank is named", "NATO's eastern flank was reinforced.", nil, []string{"nato", "nato-eastern-flank"}, nil, nil},
		{"a place in a sea tags the sea", "Ships near Scarborough Shoal and the Spratly Islands.", nil, []string{"south-china-sea"}, nil, nil},
		{"Bab el-Mandeb is the Red Sea", "Attacks near Bab el-Mandeb.", nil, []string{"red-sea"}, nil, nil},
		{"Hodeidah is Yemen and the Red Sea", "Strikes on Hodeidah.", []string{"YE"}, []string{"red-sea", "middle-east"}, nil, nil},
		{"a coastal state does not bring its sea", "Beijing said.", []string{"CN"}, []string{"east-asia", "asia"}, []string{"south-china-sea", "taiwan-strait", "indo-pacific", "brics", "sco"}, nil},
		{"a strait is not the sea its states border", "Warships in the Taiwan Strait.", nil, []string{"taiwan-strait"}, []string{"south-china-sea"}, nil},
		{"the Suwalki Gap is on the eastern flank", "The Suwalki Gap.", []string{"EE", "LT", "LV"}, []string{"nato-eastern-flank", "baltic-states"}, nil, nil},
		{"Five Eyes tags its members", "A Five Eyes advisory.", []string{"AU", "CA", "GB", "NZ", "US"}, []string{"five-eyes"}, nil, nil},
		{"the US is not in forums unless named", "Washington said.", []string{"US"}, []string{"north-america"}, []string{"nato", "g7", "quad", "aukus", "five-eyes", "oas"}, []string{"nato"}},
		{"Gulf states are the Gulf", "The Gulf states met in Riyadh.", []string{"SA"}, []string{"gulf", "middle-east"}, []string{"gcc"}, []string{"gcc"}},
		{"the Gulf is the Gulf", "Tankers in the Gulf.", nil, []string{"gulf"}, nil, nil},
		{"the Gulf of Aden is the Red Sea, not the Gulf", "Piracy in the Gulf of Aden.", nil, []string{"red-sea"}, []string{"gulf"}, nil},
		{"the Gulf of Mexico is not the Gulf", "Oil rigs in the Gulf of Mexico.", []string{"MX", "US"}, nil, []string{"gulf"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tg.Tag("", tt.text)
			if !slices.Equal(got.Countries, tt.wantCountries) {
				t.Errorf("Countries = %v, want %v", got.Countries, tt.wantCountries)
			}
			for _, r := range tt.wantRegions {
				if !slices.Contains(got.Regions, r) {
					t.Errorf("Regions = %v, missing %q", got.Regions, r)
				}
			}
			for _, r := range tt.notRegions {
				if slices.Contains(got.Regions, r) {
					t.Errorf("Regions = %v, must not have %q", got.Regions, r)
				}
			}
			for _, r := range tt.mentioned {
				if !slices.Contains(got.MentionRegions, r) {
					t.Errorf("MentionRegions = %v, missing %q", got.MentionRegions, r)
				}
			}
		})
	}
}

func TestTagSeedStoryMatchesGolden(t *testing.T) {
	tg := newTagger(t)
	text, err := os.ReadFile(filepath.Join("testdata", "seed-story.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got := tg.Tag("", string(text))
	for _, c := range []string{"RU", "UA", "US", "EE", "LV", "LT"} {
		if !slices.Contains(got.Countries, c) {
			t.Errorf("Countries = %v, missing %s", got.Countries, c)
		}
	}
	for _, r := range []string{"baltic-states", "eastern-europe"} {
		if !slices.Contains(got.Regions, r) {
			t.Errorf("Regions = %v, missing %s", got.Regions, r)
		}
	}
	out := "countries: " + strings.Join(got.Countries, " ") + "\nregions: " + strings.Join(got.Regions, " ") + "\n"
	golden := filepath.Join("testdata", "seed-story.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if out != string(want) {
		t.Errorf("tags differ from %s (run with -update if intended):\ngot:\n%swant:\n%s", golden, out, want)
	}
}

func TestTagOutputIsUniqueKnownAndFocusFirst(t *testing.T) {
	tg := newTagger(t)
	got := tg.Tag("Iran, Israel and the US", "Iran and Israel; Iranian and Israeli officials; the Gulf, the Middle East and Tehran. Iran again.")
	checkTags(t, tg, got)
	// Iran is named most, then Israel; the US only once, in passing.
	if want := []string{"IR", "IL"}; !slices.Equal(got.Countries, want) {
		t.Errorf("Countries = %v, want %v (by salience)", got.Countries, want)
	}
	if want := []string{"IR", "IL", "US"}; !slices.Equal(got.Mentions, want) {
		t.Errorf("Mentions = %v, want %v (the focus first)", got.Mentions, want)
	}
}

func TestTagAnOutletNamedAfterACountryIsNeverTheFocus(t *testing.T) {
	tg := newTagger(t)
	tests := []struct {
		name, title, text string
		focus, mentions   []string
	}{
		{"a news agency quoted", "Fire kills five in Koszalin, Poland", "A fire in an escape room in Koszalin killed five, a spokesman told Agence France-Presse.", []string{"PL"}, []string{"PL", "FR"}},
		{"an airline in a story about elsewhere", "", "A British Airways flight was diverted after a bomb threat at Nairobi airport in Kenya.", []string{"KE"}, []string{"KE", "GB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tg.Tag(tt.title, tt.text)
			checkTags(t, tg, got)
			if !slices.Equal(got.Countries, tt.focus) || !slices.Equal(got.Mentions, tt.mentions) {
				t.Errorf("Tag = focus %v, mentions %v; want focus %v, mentions %v", got.Countries, got.Mentions, tt.focus, tt.mentions)
			}
		})
	}
}

// checkTags fails unless tags are unique and known to tg, and each focus
// list opens its mention list.
func checkTags(t testing.TB, tg *Tagger, tags Tags) {
	t.Helper()
	for _, list := range [][]string{tags.Countries, tags.Regions, tags.Mentions, tags.MentionRegions} {
		if len(slices.Compact(slices.Sorted(slices.Values(list)))) != len(list) {
			t.Errorf("tags not unique: %v", list)
		}
	}
	if !slices.Equal(tags.Mentions[:min(len(tags.Mentions), len(tags.Countries))], tags.Countries) {
		t.Errorf("Mentions %v do not start with the focus %v", tags.Mentions, tags.Countries)
	}
	if !slices.Equal(tags.MentionRegions[:min(len(tags.MentionRegions), len(tags.Regions))], tags.Regions) {
		t.Errorf("MentionRegions %v do not start with the focus %v", tags.MentionRegions, tags.Regions)
	}
	for _, c := range tags.Mentions {
		if tg.Name(c) == "" || tg.Flag(c) == "" {
			t.Errorf("unknown country %q", c)
		}
	}
	for _, r := range tags.MentionRegions {
		if tg.Name(r) == "" || tg.Flag(r) != "" {
			t.Errorf("unknown region %q", r)
		}
	}
}

func TestTagIsSafeForConcurrentUse(t *testing.T) {
	tg := newTagger(t)
	done := make(chan Tags)
	for range 4 {
		go func() { done <- tg.Tag("Kyiv", "Strikes on Kharkiv and Odesa.") }()
	}
	for range 4 {
		if got := <-done; !slices.Equal(got.Countries, []string{"UA"}) {
			t.Errorf("Countries = %v, want [UA]", got.Countries)
		}
	}
}

func TestTagKnowsAlternativeNamesDemonymsAndMetonyms(t *testing.T) {
	tg := newTagger(t)
	tests := map[string]string{
		"U.S.": "US", "US": "US", "USA": "US", "America": "US", "the Pentagon": "US", "the White House": "US",
		"UK": "GB", "Britain": "GB", "Great Britain": "GB", "British": "GB", "Downing Street": "GB", "Whitehall": "GB",
		"Holland": "NL", "Dutch": "NL", "Burma": "MM", "Ivory Coast": "CI", "Czechia": "CZ", "Türkiye": "TR",
		"Iranian": "IR", "Tehran": "IR", "Afghan": "AF", "Emirati": "AE", "Ukrainian": "UA", "Russian": "RU",
		"the Kremlin": "RU", "Kaliningrad": "RU", "Gaza": "PS", "West Bank": "PS", "Donbas": "UA", "Donetsk": "UA",
		"Luhansk": "UA", "Kharkiv": "UA", "Crimea": "UA", "Zhongnanhai": "CN", "Beijing": "CN", "Pyongyang": "KP",
		"the Elysee": "FR", "the Élysée": "FR", "Brussels": "BE", "Kyiv": "UA", "Tbilisi": "GE",
	}
	for name, want := range tests {
		t.Run(name+" is "+want, func(t *testing.T) {
			got := tg.Tag("", "Reports from "+name+" today.")
			if !slices.Equal(got.Countries, []string{want}) {
				t.Errorf("Tag(%q).Countries = %v, want [%s]", name, got.Countries, want)
			}
		})
	}
}
