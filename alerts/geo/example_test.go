package geo_test

import (
	"fmt"

	"github.com/vigilbot/vigil/alerts/geo"
)

func ExampleTagger_Tag() {
	tagger, err := geo.New()
	if err != nil {
		panic(err)
	}
	tags := tagger.Tag("Kremlin warns the Baltics", "Troops moved towards Narva.")
	fmt.Println(tags.Countries)
	fmt.Println(tags.Regions)
	// Output:
	// [EE LT LV RU]
	// [baltic-states eastern-europe eu europe nato nato-eastern-flank northern-europe]
}

func ExampleTagger_Resolve() {
	tagger, err := geo.New()
	if err != nil {
		panic(err)
	}
	for _, in := range []string{"ee", "Estonia", "the Baltics", "Horn of Africa"} {
		code, _ := tagger.Resolve(in)
		fmt.Printf("%s → %s (%s)\n", in, code, tagger.Name(code))
	}
	// Output:
	// ee → EE (Estonia)
	// Estonia → EE (Estonia)
	// the Baltics → baltic-states (Baltic states)
	// Horn of Africa → horn-of-africa (Horn of Africa)
}
