package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/vigilbot/vigil/alerts/summary"
)

const (
	// maxSummarizeInput bounds the text read from stdin: a long article is
	// well under 1 MiB; 16 MiB leaves room without letting a runaway pipe
	// take all memory.
	maxSummarizeInput = 16 << 20
	// minSummarizeChars is the smallest budget that still holds a sentence
	// worth reading; below it every summary would be a cut fragment.
	minSummarizeChars = 50
	// minSummarizeWords and maxSummarizeWords bound --words as the config
	// bounds summary.max_words.
	minSummarizeWords = minSummaryWords
	maxSummarizeWords = maxSummaryWords
)

// runSummarize prints the summary Vigil would put in an alert for the text
// on stdin.
func runSummarize(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "summarize", fmt.Sprintf(`summarize [--sentences N] [--words W] [--chars C] [--title T] [--description D] < article.txt

Prints the summary Vigil puts in an alert: up to N whole sentences of the
text on stdin, in their original order, within W words and C characters
(%d to %d; %d is Discord's embed description limit). The lead comes first;
the rest of the budget goes to the sentences that cover most of the story's
names, figures and recurring words. A sentence that leans on one left out
("He added", "According to Smith" with Smith never introduced) is not
used; datelines, bylines, captions, headings and feed boilerplate are left
out. With --description, the feed's description is printed instead when
it is a real summary of the story (not cut short, not the text's own
opening, not boilerplate).`,
		minSummarizeChars, summary.MaxChars, summary.MaxChars))
	sentences := fs.Int("sentences", summary.DefaultSentences, "most sentences in the summary (at least 1)")
	words := fs.Int("words", summary.DefaultMaxWords, fmt.Sprintf("most words in the summary (%d to %d)", minSummarizeWords, maxSummarizeWords))
	chars := fs.Int("chars", summary.DefaultMaxChars, fmt.Sprintf("most characters in the summary (%d to %d)", minSummarizeChars, summary.MaxChars))
	title := fs.String("title", "", "the story's headline: names in it count as introduced")
	description := fs.String("description", "", "the feed's description of the story, used when it is a real summary")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs, "the text is read from stdin"); err != nil {
		return err
	}
	switch {
	case *sentences < 1:
		return fmt.Errorf("%w: summarize: --sentences must be at least 1, got %d", errUsage, *sentences)
	case *words < minSummarizeWords || *words > maxSummarizeWords:
		return fmt.Errorf("%w: summarize: --words must be between %d and %d, got %d", errUsage, minSummarizeWords, maxSummarizeWords, *words)
	case *chars < minSummarizeChars || *chars > summary.MaxChars:
		return fmt.Errorf("%w: summarize: --chars must be between %d and %d, got %d", errUsage, minSummarizeChars, summary.MaxChars, *chars)
	}

	text, err := readAllContext(ctx, env.stdin, maxSummarizeInput)
	if err != nil {
		return fmt.Errorf("summarize: read stdin: %w", err)
	}
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("%w: summarize: no text on stdin", errUsage)
	}
	out := summary.ForStory(summary.Story{Title: *title, Description: *description, Text: text},
		summary.Options{Sentences: *sentences, MaxWords: *words, MaxChars: *chars})
	if _, err := fmt.Fprintln(env.stdout, out); err != nil {
		return fmt.Errorf("summarize: write output: %w", err)
	}
	return nil
}

// readAllContext reads r up to limit bytes, giving up when ctx is done (an
// interrupted terminal read must not hang the command).
func readAllContext(ctx context.Context, r io.Reader, limit int64) (string, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(r, limit+1))
		done <- result{b, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case res := <-done:
		if res.err != nil {
			return "", res.err
		}
		if int64(len(res.b)) > limit {
			return "", fmt.Errorf("input larger than %d bytes", limit)
		}
		return string(res.b), nil
	}
}
