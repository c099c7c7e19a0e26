// Package brief composes a Discord channel's daily briefing and decides when
// it is due.
//
// Compose is pure: given the stories of the period, one slice per event
// cluster, it ranks the events, picks the top stories and groups the rest by
// region. Render turns the result into neutral messages and embeds that fit
// Discord's limits; the bot converts them into discordgo embeds.
//
// Every cluster appears exactly once in a briefing: the top stories are
// listed only in the "Top stories" embed, with a one-sentence summary, and
// are left out of their region's group so that a reader never sees the same
// event twice.
//
// Ranking, within a group and for the top stories, is by the number of
// distinct outlets that reported the event (more first), then by the
// severity score of its headline (see severityWords), then by recency (newer
// first), then by headline and URL so that equal events always come out in
// the same order.
//
// Each cluster goes to one group: the first of Options.Regions it is tagged
// with (countries and regions of all its reports), else the first region of
// a fixed security-desk preference list (sub-regions such as baltic-states
// or sahel before continents), else its first other region, else its first
// country, else "Elsewhere". Groups follow Options.Regions when given; other
// groups follow by weight (the sum of their clusters' outlets), and
// Elsewhere comes last.
package brief
