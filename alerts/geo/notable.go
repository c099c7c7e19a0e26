package geo

// notableRegions are the regions worth showing beside a story's countries:
// the groupings a security desk thinks in. Continents, UN statistical
// sub-regions and alliances are left out of the display because nearly every
// story belongs to several (a story about Estonia is also in Europe, Northern
// Europe, the EU and NATO) and listing them buries the ones that tell a
// reader something. Matching still uses every region.
var notableRegions = map[string]bool{
	"baltic-states": true, "nordics": true, "nato-eastern-flank": true, "eastern-europe": true,
	"balkans": true, "western-balkans": true, "caucasus": true, "central-asia": true,
	"middle-east": true, "gulf": true, "levant": true, "maghreb": true, "sahel": true,
	"horn-of-africa": true, "great-lakes": true, "gulf-of-guinea": true,
	"south-asia": true, "southeast-asia": true, "indo-pacific": true, "korean-peninsula": true,
	"taiwan-strait": true, "south-china-sea": true, "east-china-sea": true, "red-sea": true,
	"black-sea": true, "baltic-sea": true, "mediterranean": true, "strait-of-hormuz": true,
	"arctic": true, "indian-ocean": true, "latin-america": true, "caribbean": true,
}

// Notable returns the regions of a story worth showing to a reader, in the
// order given, plus any region an operator defined: those are there because
// someone watches them.
func (t *Tagger) Notable(regions []string) []string {
	var out []string
	for _, r := range regions {
		if notableRegions[r] || t.isOperatorRegion(r) {
			out = append(out, r)
		}
	}
	return out
}

// isOperatorRegion reports whether slug is a region the operator added, not
// one of the gazetteer's: extra regions are appended after the built-ins.
func (t *Tagger) isOperatorRegion(slug string) bool {
	i, ok := t.bySlug[slug]
	if !ok {
		return false
	}
	g, err := loadGazetteer()
	return err == nil && i >= len(g.Regions)
}
