//go:build race

package match

// raceEnabled skips timing tests, which the race detector's cost makes
// meaningless.
const raceEnabled = true
