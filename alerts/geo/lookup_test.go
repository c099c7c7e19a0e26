package geo

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	tg := newTagger(t)
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"EE", "EE", true},
		{"ee", "EE", true},
		{"Estonia", "EE", true},
		{"  estonia ", "EE", true},
		{"Estonian", "EE", true},
		{"Tallinn", "EE", true},
		{"baltic-states", "baltic-states", true},
		{"Baltic states", "baltic-states", true},
		{"the Baltics", "baltic-states", true},
		{"Türkiye", "TR", true},
		{"turkey", "TR", true},
		{"U.S.", "US", true},
		{"us", "US", true},
		{"United Kingdom", "GB", true},
		{"UK", "GB", true},
		{"Georgia", "GE", true},
		{"the Gambia", "GM", true},
		{"south china sea", "south-china-sea", true},
		{"NATO", "nato", true},
		{"eu", "eu", true},
		{"Narnia", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run("resolves "+tt.in, func(t *testing.T) {
			got, ok := tg.Resolve(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Resolve(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestResolveFindsEveryCodeAndSlug(t *testing.T) {
	tg := newTagger(t)
	for _, p := range append(tg.Countries(), tg.Regions()...) {
		for _, in := range []string{p.Code, strings.ToLower(p.Code)} {
			if got, ok := tg.Resolve(in); !ok || got != p.Code {
				t.Errorf("Resolve(%q) = %q, %v, want %q", in, got, ok, p.Code)
			}
		}
	}
}

func TestSuggest(t *testing.T) {
	tg := newTagger(t)
	tests := []struct {
		name  string
		in    string
		n     int
		first string // code of the first suggestion; "" means none at all
	}{
		{"a prefix finds the country", "esto", 5, "EE"},
		{"a typo finds the country", "estnia", 5, "EE"},
		{"a typo while typing finds the country", "ukrian", 5, "UA"},
		{"a prefix finds the region", "baltic st", 5, "baltic-states"},
		{"a slug prefix finds the region", "south-china", 5, "south-china-sea"},
		{"an alias finds the country", "burma", 5, "MM"},
		{"a code finds the country", "de", 5, "DE"},
		{"a word inside a name finds it", "korea", 1, "KR"},
		{"nonsense finds nothing", "xqzwv", 5, ""},
		{"empty input finds nothing", "", 5, ""},
		{"zero wanted finds nothing", "esto", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tg.Suggest(tt.in, tt.n)
			if len(got) > max(tt.n, 0) {
				t.Errorf("Suggest(%q, %d) returned %d places", tt.in, tt.n, len(got))
			}
			if tt.first == "" {
				if len(got) != 0 {
					t.Errorf("Suggest(%q, %d) = %v, want none", tt.in, tt.n, got)
				}
				return
			}
			if len(got) == 0 || got[0].Code != tt.first {
				t.Errorf("Suggest(%q, %d) = %v, want %s first", tt.in, tt.n, got, tt.first)
			}
			for _, p := range got {
				if p.Name == "" || (p.Kind != KindCountry && p.Kind != KindRegion) {
					t.Errorf("bad place %+v", p)
				}
			}
		})
	}
}

func TestNameFlagExpand(t *testing.T) {
	tg := newTagger(t)
	tests := []struct {
		code, name, flag string
		expand           []string
	}{
		{"EE", "Estonia", "🇪🇪", []string{"EE"}},
		{"gb", "United Kingdom", "🇬🇧", []string{"GB"}},
		{"baltic-states", "Baltic states", "", []string{"EE", "LT", "LV"}},
		{"korean-peninsula", "Korean Peninsula", "", []string{"KP", "KR"}},
		{"nowhere", "", "", nil},
		{"", "", "", nil},
	}
	for _, tt := range tests {
		t.Run("describes "+tt.code, func(t *testing.T) {
			if got := tg.Name(tt.code); got != tt.name {
				t.Errorf("Name(%q) = %q, want %q", tt.code, got, tt.name)
			}
			if got := tg.Flag(tt.code); got != tt.flag {
				t.Errorf("Flag(%q) = %q, want %q", tt.code, got, tt.flag)
			}
			if got := tg.Expand(tt.code); !slices.Equal(got, tt.expand) {
				t.Errorf("Expand(%q) = %v, want %v", tt.code, got, tt.expand)
			}
		})
	}
}

func TestNewWithExtraRegions(t *testing.T) {
	good := RegionDef{Slug: "lake-chad-basin", Name: "Lake Chad Basin", Aliases: []string{"Lake Chad region"},
		Countries: []string{"td", "NE", "NG", "CM"}, Places: []string{"Diffa"}}
	tests := []struct {
		name    string
		defs    []RegionDef
		wantErr string // substring; "" means success
	}{
		{"a valid region is accepted", []RegionDef{good}, ""},
		{"an empty slug is refused", []RegionDef{{Name: "X"}}, "no slug"},
		{"a slug with capitals is refused", []RegionDef{{Slug: "Bad_Slug", Name: "X"}}, `"Bad_Slug"`},
		{"a built-in slug is refused", []RegionDef{{Slug: "sahel", Name: "Sahel"}}, `"sahel": a region with this slug already exists`},
		{"two regions with one slug are refused", []RegionDef{good, good}, `"lake-chad-basin": a region with this slug already exists`},
		{"a country code as slug is refused", []RegionDef{{Slug: "fr", Name: "France"}}, `"fr": slug is a country code`},
		{"an unknown country is refused", []RegionDef{{Slug: "atlantis", Name: "Atlantis", Countries: []string{"QQ"}}}, `"atlantis": unknown country code "QQ"`},
		{"an empty name is refused", []RegionDef{{Slug: "nameless"}}, `"nameless": name is empty`},
		{"an alias without letters is refused", []RegionDef{{Slug: "dots", Name: "Dots", Aliases: []string{"..."}}}, `"dots": aliases entry`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, err := New(tt.defs...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalidRegion) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New = %v, %v; want ErrInvalidRegion containing %q", tg, err, tt.wantErr)
			}
		})
	}
}

func TestExtraRegionsTag(t *testing.T) {
	tg, err := New(RegionDef{Slug: "lake-chad-basin", Name: "Lake Chad Basin", Countries: []string{"TD", "NE", "NG", "CM"}, Places: []string{"Diffa"}},
		RegionDef{Slug: "my-strait", Name: "My Strait", Countries: []string{"DK", "SE"}, NamedOnly: true, TagMembers: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		text          string
		wantCountries []string
		wantRegion    string
		notRegion     string
	}{
		{"a place tags the custom region", "Attack near Diffa.", nil, "lake-chad-basin", ""},
		{"a member country tags the custom region", "Maiduguri attack.", []string{"NG"}, "lake-chad-basin", ""},
		{"a named-only region is not tagged by a member", "Stockholm said.", []string{"SE"}, "", "my-strait"},
		{"a named region with tag_members tags its members", "Ships in My Strait.", []string{"DK", "SE"}, "my-strait", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tg.Tag("", tt.text)
			if !slices.Equal(got.Countries, tt.wantCountries) {
				t.Errorf("Countries = %v, want %v", got.Countries, tt.wantCountries)
			}
			if tt.wantRegion != "" && !slices.Contains(got.Regions, tt.wantRegion) {
				t.Errorf("Regions = %v, missing %q", got.Regions, tt.wantRegion)
			}
			if tt.notRegion != "" && slices.Contains(got.Regions, tt.notRegion) {
				t.Errorf("Regions = %v, must not have %q", got.Regions, tt.notRegion)
			}
		})
	}
	if got, _ := tg.Resolve("Lake Chad Basin"); got != "lake-chad-basin" {
		t.Errorf("Resolve(Lake Chad Basin) = %q", got)
	}
}

// iso3166 is every officially assigned ISO 3166-1 alpha-2 code.
const iso3166 = `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF
GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW
KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL
NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST
SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW`

func TestGazetteerCoversEveryCountryAndRegion(t *testing.T) {
	tg := newTagger(t)
	codes := strings.Fields(iso3166)
	if len(codes) != 249 {
		t.Fatalf("test list has %d codes, want 249", len(codes))
	}
	for _, c := range codes {
		if tg.Name(c) == "" {
			t.Errorf("country %s missing", c)
		}
		// Each country is tagged by its own name.
		if got := tg.Tag("", "News from "+tg.Name(c)+"."); !slices.Contains(got.Countries, c) {
			t.Errorf("Tag(%q) = %v, want %s", tg.Name(c), got.Countries, c)
		}
	}
	continents := []string{"africa", "asia", "europe", "north-america", "south-america", "oceania", "antarctica"}
	for _, c := range codes {
		n := 0
		for _, cont := range continents {
			if slices.Contains(tg.Expand(cont), c) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("country %s is on %d continents, want 1", c, n)
		}
	}
	for _, slug := range []string{"baltic-states", "nordics", "nato-eastern-flank", "balkans", "western-balkans", "caucasus",
		"middle-east", "gulf", "levant", "maghreb", "sahel", "horn-of-africa", "great-lakes", "central-asia", "south-asia",
		"southeast-asia", "east-asia", "indo-pacific", "korean-peninsula",
		"taiwan-strait", "south-china-sea", "east-china-sea", "red-sea", "black-sea", "arctic", "latin-america", "eu", "nato",
		"five-eyes", "gcc", "asean", "western-europe", "eastern-europe", "northern-europe", "southern-europe", "western-asia",
		"northern-africa", "western-africa", "eastern-africa", "middle-africa", "southern-africa", "caribbean", "central-america"} {
		if tg.Name(slug) == "" || len(tg.Expand(slug)) == 0 {
			t.Errorf("region %s missing or empty", slug)
		}
		if got := tg.Tag("", "News from "+tg.Name(slug)+"."); !slices.Contains(got.Regions, slug) {
			t.Errorf("Tag(%q) = %v, want %s", tg.Name(slug), got.Regions, slug)
		}
	}
	for old, slug := range map[string]string{"eastern-asia": "east-asia", "south-eastern-asia": "southeast-asia",
		"southern-asia": "south-asia", "northern-america": "north-america"} {
		if got, ok := tg.Resolve(old); !ok || got != slug {
			t.Errorf("Resolve(%q) = %q, %v; want the canonical %q", old, got, ok, slug)
		}
		if slices.ContainsFunc(tg.Regions(), func(p Place) bool { return p.Code == old }) {
			t.Errorf("Regions() lists the old slug %q", old)
		}
	}
	if n := len(tg.Countries()); n != 250 {
		t.Errorf("Countries() has %d, want 249 ISO codes plus XK", n)
	}
	if !slices.IsSortedFunc(tg.Regions(), func(a, b Place) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("Regions() not in slug order")
	}
}

func TestEveryGazetteerNameTagsItsPlace(t *testing.T) {
	tg := newTagger(t)
	g, err := loadGazetteer()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Countries {
		for _, list := range [][]string{{c.Name, c.Official}, c.Aliases, c.Demonyms, c.Cities, c.Places} {
			for _, name := range list {
				if name == "" {
					continue
				}
				if got := tg.Tag("", "Reports from "+name+" today."); !slices.Contains(got.Countries, c.Code) {
					t.Errorf("%s: %q tags %v", c.Code, name, got.Countries)
				}
			}
		}
	}
	for _, r := range g.Regions {
		for _, list := range [][]string{{r.Name}, r.Aliases, r.Places} {
			for _, name := range list {
				if got := tg.Tag("", "Reports from "+name+" today."); !slices.Contains(got.Regions, r.Slug) {
					t.Errorf("%s: %q tags %v", r.Slug, name, got.Regions)
				}
			}
		}
	}
}
