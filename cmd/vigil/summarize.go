package main

import (
	"context"
	"errors"
	"flag"
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
)

// runSummarize prints the summary Vigil would put in an alert for the text
// on stdin.
func runSummarize(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "summarize", fmt.Sprintf(`summarize [--sentences N] [--chars C] < article.txt

Prints the extractive summary Vigil puts in an alert: the N most central
sentences of the text on stdin, in their original order, within C
characters (%d to %d; %d is Discord's embed description limit). A
dateline, date stamp, section headings and feed boilerplate are left out.`,
		minSummarizeChars, summary.MaxChars, summary.MaxChars))
	sentences := fs.Int("sentences", summary.DefaultSentences, "most sentences in the summary (at least 1)")
	chars := fs.Int("chars", summary.DefaultMaxChars, fmt.Sprintf("most characters in the summary (%d to %d)", minSummarizeChars, summary.MaxChars))
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: summarize: %v", errUsage, err)
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("%w: summarize: reads the text from stdin, takes no arguments (got %q)", errUsage, fs.Arg(0))
	case *sentences < 1:
		return fmt.Errorf("%w: summarize: --sentences must be at least 1, got %d", errUsage, *sentences)
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
	out := summary.Summarize(text, summary.Options{Sentences: *sentences, MaxChars: *chars})
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
