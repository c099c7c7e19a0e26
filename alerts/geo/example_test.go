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
	tags := tagger.Tag("Niger junta seizes uranium stock",
		"Niger's military government took control of the Arlit mine on Tuesday. Analysts said the move could open the door to Russian buyers.")
	fmt.Println("about:", tags.Countries, tagger.Notable(tags.Regions))
	fmt.Println("mentions:", tags.Mentions)
	// Output:
	// about: [NE] [sahel]
	// mentions: [NE RU]
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
